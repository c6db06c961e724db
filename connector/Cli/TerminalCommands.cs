using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Protocol;
using SourceStripe.Streams;

namespace SourceStripe.Cli;

/// <summary>
/// The commands a person runs at a terminal (spec, discover, validate, capture), beside the protocol mode
/// Flow uses. spec, discover and validate send the very request Flow would, so they answer exactly as
/// protocol mode does; capture runs the same capture with files for documents and state.
/// </summary>
public static class TerminalCommands
{
    /// <summary>
    /// Whether the arguments ask for a terminal command. Flow starts the connector with no command (at
    /// most flags such as <c>--log.level</c>) and requests on stdin: that stays protocol mode.
    /// </summary>
    public static bool Requested(IReadOnlyList<string> args, bool stdinRedirected)
    {
        var rest = WithoutLogLevel(args);
        if (rest.Count == 0)
        {
            return !stdinRedirected;
        }
        return !rest[0].StartsWith('-') || rest.Any(a => a is "-h" or "--help" or "-?" or "--version");
    }

    public static async Task<int> RunAsync(string[] args, CancellationToken cancellation)
    {
        var configuration = new InvocationConfiguration
        {
            // Program cancels the token on Ctrl+C; the capture then saves its state before exiting.
            ProcessTerminationTimeout = null,
            // Failures end in one sentence from Program, never a stack trace alone.
            EnableDefaultExceptionHandler = false,
        };
        // Run bare at a terminal: the list of commands is the useful answer.
        var parse = Build().Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Action is ParseErrorAction error)
        {
            // The error names the option and what it expects; the whole help after it would bury that.
            error.ShowHelp = false;
            configuration.Output = Console.Error;
        }
        return await parse.InvokeAsync(configuration, cancellation).ConfigureAwait(false);
    }

    public static RootCommand Build()
    {
        var logLevel = new Option<string>("--log.level", "--log-level")
        {
            Description = "How much to log on stderr: error, warn (default), info, debug or trace.",
            Recursive = true,
        };
        logLevel.AcceptOnlyFromAmong("error", "warn", "info", "debug", "trace");
        var root = new RootCommand(
            "source-stripe captures a Stripe account's resources into Estuary Flow collections.\n" +
            "Flow runs it with no command and speaks its protocol on stdin and stdout; the commands below are for a terminal.")
        {
            logLevel,
            SpecCommand(),
            DiscoverCommand(),
            ValidateCommand(),
            CaptureCommands.Build(),
        };
        return root;
    }

    /// <summary>--config FILE: the endpoint config, as YAML (flow.yaml's config block) or JSON.</summary>
    public static Option<string> ConfigOption(bool required) => new("--config", "-c")
    {
        Description = "The endpoint config: a YAML file (the config: block of flow.yaml, or a flow.yaml with one source-stripe capture) or a JSON file.",
        HelpName = "FILE",
        Required = required,
    };

    /// <summary>--streams a,b: which streams to bind (default: those every account can read).</summary>
    public static Option<IReadOnlyList<StreamDescriptor>> StreamsOption() => new("--streams", "-s")
    {
        Description = $"Comma-separated streams to bind (default: the {StreamCatalog.EveryAccount.Length} every account can read; --demo: all {StreamCatalog.All.Length}): "
            + $"{string.Join(", ", StreamCatalog.All.Select(s => s.Name))}.",
        HelpName = "a,b",
        CustomParser = result =>
        {
            var names = result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList();
            var streams = new List<StreamDescriptor>();
            foreach (var name in names)
            {
                if (StreamCatalog.Find(name) is not { } stream)
                {
                    result.AddError($"--streams: unknown stream '{name}'; expected a comma-separated list of: {string.Join(", ", StreamCatalog.All.Select(s => s.Name))}");
                    return [];
                }
                if (!streams.Contains(stream))
                {
                    streams.Add(stream);
                }
            }
            if (streams.Count == 0)
            {
                result.AddError("--streams: no stream named; expected a comma-separated list such as charges,customers");
            }
            return streams;
        },
    };

    private static Command SpecCommand()
    {
        var command = new Command("spec", "Print the connector's spec (its config schemas) as Flow receives it.");
        command.SetAction((_, cancellation) => AnswerAsync(Request(json => json.WriteStartObject("spec")), cancellation));
        return command;
    }

    private static Command DiscoverCommand()
    {
        var config = ConfigOption(required: true);
        var command = new Command("discover", "Print the bindings (one per stream, with its JSON schema) as Flow receives them.") { config };
        command.SetAction((parse, cancellation) => WithConfigAsync(parse.GetRequiredValue(config), endpoint =>
            AnswerAsync(Request(json =>
            {
                json.WriteStartObject("discover");
                json.WriteString("connectorType", "IMAGE");
                json.WritePropertyName("config");
                endpoint.WriteTo(json);
            }), cancellation)));
        return command;
    }

    private static Command ValidateCommand()
    {
        var config = ConfigOption(required: true);
        var streams = StreamsOption();
        var command = new Command("validate", "Check the config and that the key can read every bound stream (one small request each).") { config, streams };
        command.SetAction((parse, cancellation) => WithConfigAsync(parse.GetRequiredValue(config), async endpoint =>
        {
            var bound = parse.GetValue(streams) ?? StreamCatalog.EveryAccount;
            var code = await AnswerAsync(Request(json =>
            {
                json.WriteStartObject("validate");
                json.WriteString("name", "terminal");
                json.WriteString("connectorType", "IMAGE");
                json.WritePropertyName("config");
                endpoint.WriteTo(json);
                WriteBindings(json, bound, asCapture: false);
            }), cancellation).ConfigureAwait(false);
            if (code == 0)
            {
                Log.Line($"Valid: the key can read all {bound.Count} bound streams.");
            }
            return code;
        }));
        return command;
    }

    /// <summary>Reads the config file, then runs <paramref name="run"/>; a config that cannot be read ends with its message.</summary>
    public static async Task<int> WithConfigAsync(string path, Func<JsonElement, Task<int>> run)
    {
        JsonElement config;
        try
        {
            config = ConfigFile.Read(path);
        }
        catch (ConfigException e)
        {
            Log.Error(e.Message);
            return 1;
        }
        return await run(config).ConfigureAwait(false);
    }

    /// <summary>Writes the <c>bindings</c> member: one per stream, in its default sync mode, keyed by its name.</summary>
    public static void WriteBindings(Utf8JsonWriter json, IEnumerable<StreamDescriptor> streams, bool asCapture)
    {
        json.WriteStartArray("bindings");
        foreach (var stream in streams)
        {
            json.WriteStartObject();
            json.WriteStartObject("resourceConfig");
            json.WriteString("stream", stream.Name);
            json.WriteString("syncMode", Config.ResourceConfig.SyncModeName(stream.DefaultSyncMode));
            json.WriteEndObject();
            if (asCapture)
            {
                json.WriteStartArray("resourcePath");
                json.WriteStringValue(stream.Name);
                json.WriteEndArray();
                json.WriteString("stateKey", stream.Name);
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
    }

    /// <summary>A protocol request line: <c>{ member... }</c> where <paramref name="member"/> opens the request's member object.</summary>
    public static byte[] Request(Action<Utf8JsonWriter> member)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            member(json);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Answers one request as protocol mode does, on stdout.</summary>
    private static Task<int> AnswerAsync(byte[] request, CancellationToken cancellation)
    {
        var output = new ProtocolOutput(Console.OpenStandardOutput());
        return new ProtocolHandler(new MemoryStream(request), output, TimeProvider.System).RunAsync(cancellation);
    }

    private static List<string> WithoutLogLevel(IReadOnlyList<string> args)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] is "--log.level" or "--log-level")
            {
                i++;
            }
            else if (!args[i].StartsWith("--log.level=", StringComparison.Ordinal) && !args[i].StartsWith("--log-level=", StringComparison.Ordinal))
            {
                rest.Add(args[i]);
            }
        }
        return rest;
    }
}
