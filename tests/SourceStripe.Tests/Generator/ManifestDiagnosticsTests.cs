using Microsoft.CodeAnalysis;

namespace SourceStripe.Tests.Generator;

/// <summary>Each manifest mistake is a compile error with its id, an actionable message and the YAML line.</summary>
public sealed class ManifestDiagnosticsTests
{
    private const string Valid = """
        streams:
          - name: customers
            path: /v1/customers
            model: Stripe.Customer
            sync_modes: [incremental, full_refresh]
            cursor: created
            events:
              customer.created: create
          - name: bank_accounts
            path: /v1/customers/{customer}/sources
            model: Stripe.BankAccount
            sync_modes: [full_refresh]
            parent:
              stream: customers
              param: customer
              id_field: customer_id
        """;

    [Fact]
    public void A_valid_manifest_generates_without_diagnostics()
    {
        var run = GeneratorHarness.Run(Valid);
        Assert.Empty(run.Diagnostics);
        var source = Assert.Single(run.Sources);
        Assert.Contains("public sealed class CustomersStream : StreamDescriptor", source);
        Assert.Contains("public sealed class BankAccountsStream : StreamDescriptor", source);
        Assert.Contains("public const string Pinned = \"2026-10-28.endive\";", source);
    }

    [Fact]
    public void The_real_manifest_generates_60_streams_without_diagnostics()
    {
        var run = GeneratorHarness.Run(GeneratorHarness.RealManifest());
        Assert.Empty(run.Diagnostics);
        Assert.Equal(60, System.Text.RegularExpressions.Regex.Matches(run.Sources[0], @"public sealed class \w+Stream : StreamDescriptor").Count);
    }

    [Fact]
    public void Unknown_model_type_names_the_type_and_line()
    {
        var run = GeneratorHarness.Run(Valid.Replace("model: Stripe.Customer", "model: Stripe.Custmer"));
        var d = run.Single("SSG007");
        Assert.Equal(4, Line(d));
        Assert.Contains("'Stripe.Custmer'", d.GetMessage());
        Assert.Contains("streams.yaml", d.Location.GetLineSpan().Path);
    }

    [Fact]
    public void Unknown_parent_names_the_parent_and_line()
    {
        var run = GeneratorHarness.Run(Valid.Replace("stream: customers", "stream: customerz"));
        var d = run.Single("SSG008");
        Assert.Equal(14, Line(d));
        Assert.Contains("'customerz'", d.GetMessage());
    }

    [Fact]
    public void Duplicate_stream_names_both_lines()
    {
        var run = GeneratorHarness.Run(Valid.Replace("name: bank_accounts", "name: customers"));
        var d = run.Single("SSG006");
        Assert.Equal(9, Line(d));
        Assert.Contains("first on line 2", d.GetMessage());
    }

    [Fact]
    public void Incremental_stream_without_cursor_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("    cursor: created\n", "").Replace("    events:\n      customer.created: create\n", ""));
        var d = run.Single("SSG010");
        Assert.Equal(2, Line(d));
        Assert.Contains("'customers'", d.GetMessage());
    }

    [Fact]
    public void Unknown_change_meaning_names_the_event_type()
    {
        var run = GeneratorHarness.Run(Valid.Replace("customer.created: create", "customer.created: created"));
        var d = run.Single("SSG011");
        Assert.Equal(8, Line(d));
        Assert.Contains("'customer.created'", d.GetMessage());
        Assert.Contains("create, update or delete", d.GetMessage());
    }

    [Fact]
    public void Unknown_sync_mode_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("sync_modes: [full_refresh]", "sync_modes: [full_refresh, cdc]"));
        var d = run.Single("SSG009");
        Assert.Equal(12, Line(d));
        Assert.Contains("'cdc'", d.GetMessage());
    }

    [Fact]
    public void Cursor_that_is_not_a_timestamp_of_the_model_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("cursor: created", "cursor: email"));
        var d = run.Single("SSG012");
        Assert.Equal(6, Line(d));
    }

    [Fact]
    public void Parent_param_missing_from_the_path_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("param: customer", "param: cust"));
        Assert.Equal(14, Line(run.Single("SSG013")));
    }

    [Fact]
    public void Embedded_field_that_is_not_a_list_of_the_parent_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("id_field: customer_id", "id_field: customer_id\n      embedded: email"));
        Assert.Equal(17, Line(run.Single("SSG014")));
    }

    [Fact]
    public void Unknown_field_is_an_error_listing_the_expected_ones()
    {
        var run = GeneratorHarness.Run(Valid.Replace("    cursor: created", "    cursor: created\n    curser: created"));
        var d = run.Single("SSG005");
        Assert.Equal(7, Line(d));
        Assert.Contains("'curser'", d.GetMessage());
    }

    [Fact]
    public void Missing_model_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("    model: Stripe.Customer\n", ""));
        var d = run.Single("SSG004");
        Assert.Contains("'model'", d.GetMessage());
        Assert.Equal(2, Line(d));
    }

    [Fact]
    public void Invalid_yaml_is_an_error_with_its_line()
    {
        var run = GeneratorHarness.Run(Valid.Replace("sync_modes: [full_refresh]", "sync_modes: [full_refresh"));
        var d = run.Single("SSG002");
        Assert.True(Line(d) >= 12, d.ToString());
    }

    [Fact]
    public void Without_stripe_net_the_generator_says_so()
    {
        var run = GeneratorHarness.Run(Valid, withStripe: false);
        run.Single("SSG017");
    }

    private static int Line(Diagnostic d) => d.Location.GetLineSpan().StartLinePosition.Line + 1;

    [Fact]
    public void An_incremental_list_without_created_filters_takes_its_changes_from_events()
    {
        var run = GeneratorHarness.Run(Valid.Replace("    cursor: created\n", ""));
        Assert.Empty(run.Diagnostics);
    }

    [Fact]
    public void A_created_cursor_on_a_list_without_created_filters_is_an_error()
    {
        // Stripe.net's QuoteListOptions has no Created: Stripe would answer 400 "Received unknown parameter: created[gte]".
        var run = GeneratorHarness.Run(Valid.Replace("path: /v1/customers\n", "path: /v1/quotes\n").Replace("model: Stripe.Customer", "model: Stripe.Quote"));
        var d = run.Single("SSG018");
        Assert.Equal(6, Line(d));
        Assert.Contains("Stripe.QuoteListOptions has no Created", d.GetMessage());
    }

    [Fact]
    public void An_unknown_account_feature_is_an_error()
    {
        var run = GeneratorHarness.Run(Valid.Replace("    cursor: created\n", "    cursor: created\n    needs: conect\n"));
        var d = run.Single("SSG019");
        Assert.Equal(7, Line(d));
        Assert.Contains("'conect'", d.GetMessage());
        Assert.Contains("connect, issuing", d.GetMessage());
    }

    [Fact]
    public void A_child_that_is_not_relisted_needs_events_of_its_own()
    {
        var run = GeneratorHarness.Run(Valid + "\n      relist: false\n");
        var d = run.Single("SSG020");
        Assert.Equal(17, Line(d));
        Assert.Contains("'bank_accounts'", d.GetMessage());
    }
}
