using System.Net;
using System.Net.Sockets;

namespace SourceStripe.Webhooks;

/// <summary>A TCP port free on loopback: where the demo's listener waits for its own simulated Stripe's webhooks.</summary>
public static class LoopbackPort
{
    /// <summary>A port no one listens on now; the system may hand it out again before the caller binds it, which
    /// on a machine's loopback is rare enough for a demo and a test.</summary>
    public static int Free()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
