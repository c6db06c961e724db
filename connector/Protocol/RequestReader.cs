using System.Globalization;
using System.Text.Json;
using SourceStripe.Config;

namespace SourceStripe.Protocol;

/// <summary>
/// Reads a request line's parsed JSON into its <see cref="Request"/>, checking each member it knows against
/// the JSON type the protocol gives it. Members are matched case-insensitively; unknown ones are skipped.
/// </summary>
public static class RequestReader
{
    /// <summary>The request, or false with the sentence naming the first member of the wrong JSON type.</summary>
    public static bool TryRead(JsonElement root, out Request request, out string wrongType)
    {
        try
        {
            request = new Node(root, "").Object(ReadRequest) ?? throw new WrongType(new Node(root, ""), "an object");
            wrongType = "";
            return true;
        }
        catch (WrongType e)
        {
            request = new Request(null, null, null, null, null);
            var got = EndpointConfig.Describe(e.At.Value);
            wrongType = e.At.Path.Length == 0
                ? $"Could not read the request: {RequestErrors.PerLine}, got {got}"
                : $"Could not read the request: {e.At.Path}: expected {e.Expected}, got {got}";
            return false;
        }
    }

    private static Request ReadRequest(Node request)
    {
        SpecRequest? spec = null;
        DiscoverRequest? discover = null;
        ValidateRequest? validate = null;
        ApplyRequest? apply = null;
        OpenRequest? open = null;
        foreach (var member in request.Members())
        {
            switch (member.Name)
            {
                case "spec": spec = member.Object(ReadSpec); break;
                case "discover": discover = member.Object(ReadDiscover); break;
                case "validate": validate = member.Object(ReadValidate); break;
                case "apply": apply = member.Object(ReadApply); break;
                case "open": open = member.Object(ReadOpen); break;
            }
        }
        return new Request(spec, discover, validate, apply, open);
    }

    private static SpecRequest ReadSpec(Node spec)
    {
        foreach (var member in spec.Members())
        {
            if (member.Name == "connectortype")
            {
                member.String();
            }
        }
        return new SpecRequest();
    }

    private static DiscoverRequest ReadDiscover(Node discover)
    {
        JsonElement? config = null;
        foreach (var member in discover.Members())
        {
            switch (member.Name)
            {
                case "connectortype": member.String(); break;
                case "config": config = member.Any(); break;
            }
        }
        return new DiscoverRequest(config);
    }

    private static ValidateRequest ReadValidate(Node validate)
    {
        JsonElement? config = null;
        List<ValidateBinding>? bindings = null;
        foreach (var member in validate.Members())
        {
            switch (member.Name)
            {
                case "name" or "connectortype": member.String(); break;
                case "config": config = member.Any(); break;
                case "bindings": bindings = member.Array(item => item.Object(ReadValidateBinding) ?? throw new WrongType(item, "an object")); break;
            }
        }
        return new ValidateRequest(config, bindings);
    }

    private static ValidateBinding ReadValidateBinding(Node binding)
    {
        JsonElement? resourceConfig = null;
        JsonElement? collection = null;
        foreach (var member in binding.Members())
        {
            switch (member.Name)
            {
                case "resourceconfig": resourceConfig = member.Any(); break;
                case "collection": collection = member.Any(); break;
                case "backfill": member.Whole(); break;
            }
        }
        return new ValidateBinding(resourceConfig, collection);
    }

    private static ApplyRequest ReadApply(Node apply)
    {
        FlowCaptureSpec? capture = null;
        foreach (var member in apply.Members())
        {
            switch (member.Name)
            {
                case "capture": capture = member.Object(ReadCapture); break;
                case "version": member.String(); break;
            }
        }
        return new ApplyRequest(capture);
    }

    private static OpenRequest ReadOpen(Node open)
    {
        FlowCaptureSpec? capture = null;
        JsonElement? range = null;
        JsonElement? state = null;
        foreach (var member in open.Members())
        {
            switch (member.Name)
            {
                case "capture": capture = member.Object(ReadCapture); break;
                case "version": member.String(); break;
                case "range": range = member.Any(); break;
                case "state": state = member.Any(); break;
            }
        }
        return new OpenRequest(capture, range, state);
    }

    private static FlowCaptureSpec ReadCapture(Node capture)
    {
        JsonElement? config = null;
        List<CaptureBinding>? bindings = null;
        foreach (var member in capture.Members())
        {
            switch (member.Name)
            {
                case "name" or "connectortype": member.String(); break;
                case "config": config = member.Any(); break;
                case "intervalseconds": member.Whole(); break;
                case "bindings": bindings = member.Array(item => item.Object(ReadCaptureBinding) ?? throw new WrongType(item, "an object")); break;
            }
        }
        return new FlowCaptureSpec(config, bindings);
    }

    private static CaptureBinding ReadCaptureBinding(Node binding)
    {
        JsonElement? resourceConfig = null;
        string? stateKey = null;
        long backfill = 0;
        foreach (var member in binding.Members())
        {
            switch (member.Name)
            {
                case "resourceconfig": resourceConfig = member.Any(); break;
                case "resourcepath": member.Array(item => item.String()); break;
                case "statekey": stateKey = member.String(); break;
                case "backfill": backfill = member.Whole(); break;
                case "collection": member.Any(); break;
            }
        }
        return new CaptureBinding(resourceConfig, stateKey, backfill);
    }

    /// <summary>A value of the request at <see cref="Path"/> (as the user wrote it, such as <c>open.capture.bindings[0]</c>).</summary>
    private readonly record struct Node(JsonElement Value, string Path, string Name = "")
    {
        /// <summary>An object's members in order, each named in lower case for matching.</summary>
        public IEnumerable<Node> Members()
        {
            foreach (var property in Value.EnumerateObject())
            {
                var name = EndpointConfig.Cut(property.Name);
                yield return new Node(property.Value, Path.Length == 0 ? name : $"{Path}.{name}", property.Name.ToLowerInvariant());
            }
        }

        /// <summary>Null for JSON null.</summary>
        public T? Object<T>(Func<Node, T> read) where T : class => Value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.Object => read(this),
            _ => throw new WrongType(this, "an object"),
        };

        /// <summary>Null for JSON null.</summary>
        public List<T>? Array<T>(Func<Node, T> read)
        {
            if (Value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }
            if (Value.ValueKind != JsonValueKind.Array)
            {
                throw new WrongType(this, "an array");
            }
            var items = new List<T>(Value.GetArrayLength());
            var path = Path;
            items.AddRange(Value.EnumerateArray().Select((item, i) => read(new Node(item, $"{path}[{i}]"))));
            return items;
        }

        /// <summary>Null for JSON null.</summary>
        public string? String() => Value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => Value.GetString(),
            _ => throw new WrongType(this, "a string"),
        };

        /// <summary>A whole number, also as a string of digits (the runtime may write 64-bit numbers so).</summary>
        public long Whole() => Value.ValueKind switch
        {
            JsonValueKind.Number when Value.TryGetInt64(out var number) => number,
            JsonValueKind.String when long.TryParse(Value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) => number,
            _ => throw new WrongType(this, "a whole number"),
        };

        /// <summary>Any JSON, read later by the part of the connector that knows its shape; null for JSON null.</summary>
        public JsonElement? Any() => Value.ValueKind == JsonValueKind.Null ? null : Value;
    }

    private sealed class WrongType(Node at, string expected) : Exception
    {
        public Node At { get; } = at;
        public string Expected { get; } = expected;
    }
}
