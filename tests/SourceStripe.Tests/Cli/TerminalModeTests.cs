using SourceStripe.Cli;

namespace SourceStripe.Tests.Cli;

/// <summary>When the binary is a terminal command and when it speaks Flow's protocol.</summary>
public sealed class TerminalModeTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--log.level=debug")]
    [InlineData("--log.level debug")]
    [InlineData("--log-level info")]
    [InlineData("--some-future-flow-flag")]
    public void Flow_starting_the_connector_with_requests_on_stdin_gets_protocol_mode(string args) =>
        Assert.False(TerminalCommands.Requested(Split(args), stdinRedirected: true));

    [Theory]
    [InlineData("capture --demo")]
    [InlineData("--log.level debug discover --config x.yaml")]
    [InlineData("spec")]
    [InlineData("--help")]
    [InlineData("--version")]
    public void A_command_or_a_help_flag_gets_the_terminal_commands(string args) =>
        Assert.True(TerminalCommands.Requested(Split(args), stdinRedirected: true));

    private static string[] Split(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void No_arguments_at_a_terminal_shows_the_commands_instead_of_waiting_for_a_request() =>
        Assert.True(TerminalCommands.Requested([], stdinRedirected: false));

    [Fact]
    public void Every_command_has_help()
    {
        var root = TerminalCommands.Build();
        Assert.Equal(["spec", "discover", "validate", "capture"], root.Subcommands.Select(c => c.Name));
        foreach (var command in root.Subcommands)
        {
            Assert.False(string.IsNullOrWhiteSpace(command.Description));
            Assert.Empty(root.Parse([command.Name, "--help"]).Errors);
            Assert.All(command.Options, o => Assert.False(string.IsNullOrWhiteSpace(o.Description), $"{command.Name} {o.Name} has no description"));
        }
    }
}
