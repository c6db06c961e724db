using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>
/// The Dockerfile's runtime image holds glibc, OpenSSL, CA certificates and the binary, nothing else. No
/// Docker engine runs here, so these tests build such a root filesystem by hand and run the published
/// binary in it with chroot, as the image's non-root user: spec, discover, and a short capture over HTTPS
/// to the simulator on loopback, whose test CA is trusted through SSL_CERT_FILE.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class RuntimeImageTests : IAsyncLifetime
{
    private const string Binary = "/usr/local/bin/source-stripe";
    private const string CaFile = "/etc/ssl/certs/test-ca.pem";
    private const string NonRoot = "1654:1654";

    private readonly string _root = Path.Combine(Path.GetTempPath(), "source-stripe-rootfs-" + Guid.NewGuid().ToString("N"));
    private X509Certificate2? _server;

    public async Task InitializeAsync()
    {
        var binary = await PublishedConnector.PathAsync();
        Directory.CreateDirectory(_root);
        Copy(binary, Binary);
        // The shared libraries the binary links, and the OpenSSL it loads for TLS: what the base image has.
        foreach (var library in Ldd(binary).Concat(Installed("libssl.so.3", "libcrypto.so.3")))
        {
            Copy(library, library);
        }
        var (ca, server) = TestCertificates();
        _server = server;
        Directory.CreateDirectory(Path.Combine(_root, "etc/ssl/certs"));
        await File.WriteAllTextAsync(Path.Combine(_root, CaFile.TrimStart('/')), ca.ExportCertificatePem());
        Directory.CreateDirectory(Path.Combine(_root, "tmp"));
        File.SetUnixFileMode(Path.Combine(_root, "tmp"), (UnixFileMode)0b1_111_111_111);
        // Not the image's but the container runtime's: every container gets these device nodes.
        Directory.CreateDirectory(Path.Combine(_root, "dev"));
        foreach (var (name, minor) in new[] { ("null", "3"), ("random", "8"), ("urandom", "9") })
        {
            using var mknod = Process.Start("mknod", ["-m", "666", Path.Combine(_root, "dev", name), "c", "1", minor]);
            mknod.WaitForExit();
            Assert.True(mknod.ExitCode == 0, "mknod failed: the runtime image tests run as root, as CI does");
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_root, recursive: true);
        _server?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public void The_root_filesystem_holds_only_the_binary_glibc_openssl_and_certificates()
    {
        var files = Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Select(f => "/" + Path.GetRelativePath(_root, f)).Order().ToList();
        Assert.Contains(Binary, files);
        Assert.All(files, f => Assert.True(f == Binary || f.StartsWith("/etc/ssl/", StringComparison.Ordinal) || f.StartsWith("/dev/", StringComparison.Ordinal)
            || Path.GetFileName(f).Contains(".so", StringComparison.Ordinal), f));
        Assert.True(files.Count <= 11, string.Join(", ", files));
    }

    [Fact]
    public async Task Spec_and_discover_answer_inside_it()
    {
        var spec = await RunAsync("{\"spec\":{}}\n");
        Assert.True(spec.Exit == 0, spec.Stderr);
        Assert.Equal(3032023, JsonNode.Parse(spec.Stdout)!["spec"]!["protocol"]!.GetValue<int>());

        var discover = await RunAsync("""{"discover":{"config":{"account_id":"acct_1","client_secret":"sk_test_rootfs00","start_date":"2020-01-01T00:00:00Z"}}}""");
        Assert.True(discover.Exit == 0, discover.Stderr);
        Assert.Equal(60, JsonNode.Parse(discover.Stdout)!["discovered"]!["bindings"]!.AsArray().Count);
    }

    [Fact]
    public async Task A_capture_over_https_to_a_loopback_stripe_runs_inside_it()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 30, Certificate = _server });
        Assert.Equal("https", stripe.BaseUrl.Scheme);
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), [new("coupons"), new("customers")],
            advanced: new JsonObject { ["max_retry_seconds"] = 10 });

        var start = Start();
        using var process = Process.Start(start)!;
        var transcript = new CaptureTranscript();
        var stderr = process.StandardError.ReadToEndAsync();
        var reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                transcript.Add(line);
            }
        });
        await process.StandardInput.WriteLineAsync(open);
        await process.StandardInput.FlushAsync();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!(transcript.PendingRanges("coupons") == 0 && transcript.PendingRanges("customers") == 0))
        {
            if (process.HasExited)
            {
                Assert.Fail("the binary exited early: " + await stderr);
            }
            if (DateTime.UtcNow > deadline)
            {
                process.Kill();
                Assert.Fail("timed out: " + await stderr);
            }
            await Task.Delay(50);
        }
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        await reading;
        Assert.True(process.ExitCode == 0, await stderr);

        ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, "coupons"), ExpectedDocuments.Captured(transcript.Documents, 0), "coupons");
        Assert.All(stripe.Requests, r => Assert.Equal("Bearer sk_live_simulator", r.Headers["Authorization"]));
    }

    [Fact]
    public async Task The_demo_command_runs_inside_it()
    {
        // The terminal commands and the demo's loopback server need nothing the image lacks either.
        var demo = await RunAsync("", "capture", "--demo");
        Assert.True(demo.Exit == 0, demo.Stderr);
        Assert.Contains("60 of 60 streams caught up", demo.Stderr);
        Assert.Contains("Every one of the account's", demo.Stderr);
    }

    private async Task<(int Exit, string Stdout, string Stderr)> RunAsync(string stdin, params string[] args)
    {
        using var process = Process.Start(Start(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>chroot into the root filesystem as the image's non-root user, with only the image's environment.</summary>
    private ProcessStartInfo Start(params string[] args)
    {
        var start = new ProcessStartInfo("chroot")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])["--userspec=" + NonRoot, _root, Binary, .. args])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment.Clear();
        start.Environment["SSL_CERT_FILE"] = CaFile;
        start.Environment["PATH"] = "/usr/local/bin";
        start.Environment["HOME"] = "/tmp";
        return start;
    }

    private void Copy(string from, string to)
    {
        var target = Path.Combine(_root, to.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Copy(new FileInfo(from).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? from, target, overwrite: true);
        File.SetUnixFileMode(target, File.GetUnixFileMode(from) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private static IEnumerable<string> Ldd(string binary)
    {
        using var ldd = Process.Start(new ProcessStartInfo("ldd", binary) { RedirectStandardOutput = true, UseShellExecute = false })!;
        var output = ldd.StandardOutput.ReadToEnd();
        ldd.WaitForExit();
        return output.Split('\n')
            .SelectMany(line => line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
            .Where(token => token.StartsWith('/'))
            .Distinct();
    }

    /// <summary>Where this machine's loader finds the named libraries (the image keeps them in the same places).</summary>
    private static IEnumerable<string> Installed(params string[] names)
    {
        using var ldconfig = Process.Start(new ProcessStartInfo("ldconfig", "-p") { RedirectStandardOutput = true, UseShellExecute = false })!;
        var lines = ldconfig.StandardOutput.ReadToEnd().Split('\n');
        ldconfig.WaitForExit();
        foreach (var name in names)
        {
            var line = lines.FirstOrDefault(l => l.TrimStart().StartsWith(name + " ", StringComparison.Ordinal) && l.Contains("x86-64", StringComparison.Ordinal))
                ?? throw new InvalidOperationException($"{name} is not installed: the runtime image test needs OpenSSL 3 (Debian's libssl3)");
            yield return line[(line.IndexOf("=> ", StringComparison.Ordinal) + 3)..].Trim();
        }
    }

    /// <summary>A throwaway CA and a server certificate it signs for 127.0.0.1 and localhost.</summary>
    private static (X509Certificate2 Ca, X509Certificate2 Server) TestCertificates()
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=source-stripe test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        using var serverKey = RSA.Create(2048);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), Encoding.ASCII.GetBytes("source-stripe-1"));
        using var withKey = signed.CopyWithPrivateKey(serverKey);
        // Kestrel wants a key it can use from any thread: load it back from PKCS#12.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (ca, server);
    }
}
