namespace SourceStripe.Logging;

/// <summary>Lines a terminal keeps redrawn in place below the log (a capture's live progress).</summary>
public interface ILiveArea
{
    /// <summary>Prints <paramref name="line"/> whole above the area, then the area again below it.</summary>
    void WriteAbove(string line);
}
