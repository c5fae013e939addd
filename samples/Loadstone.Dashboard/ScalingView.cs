using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Loadstone.Scaling;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Loadstone.Dashboard;

/// <summary>
/// The scaling panel: a group's min/desired/max, its instances by state and its latest activities (when, what, why),
/// read from <see cref="ScalingGroup.Activities"/>. Times are seconds since the scenario started.
/// </summary>
internal sealed partial class ScalingView(ScalingGroup group, string policy, DateTimeOffset start)
{
    public ScalingGroup Group => group;

    public IRenderable Render(int activities)
    {
        var table = new Table().Border(TableBorder.Simple).HideHeaders().Expand();
        table.AddColumn(new TableColumn("t").NoWrap().RightAligned());
        table.AddColumn(new TableColumn("status").NoWrap());
        table.AddColumn(new TableColumn("description").NoWrap());
        table.AddColumn(new TableColumn("cause"));
        var latest = group.Activities.TakeLast(activities).ToArray();
        foreach (var a in latest)
        {
            var color = a.Status switch
            {
                ScalingActivityStatus.Successful => "green",
                ScalingActivityStatus.InProgress => "yellow",
                _ => "red",
            };
            table.AddRow(
                new Text(Seconds(a.StartTime)),
                new Markup($"[{color}]{a.Status}[/]"),
                new Text(a.Description),
                new Text(FirstSentence(Relative(a.Cause))));
        }

        if (latest.Length == 0)
        {
            table.AddRow(string.Empty, string.Empty, "(no activities yet)", string.Empty);
        }

        var summary = new Markup(Markup.Escape(Summary()));
        return new Panel(new Rows(summary, table))
            .Header($"Scaling group '{group.Name}' (activities, latest last)").Border(BoxBorder.Rounded).Expand();
    }

    public void RenderPlain(StringBuilder text, int activities)
    {
        text.AppendLine(CultureInfo.InvariantCulture, $"  [scaling] {Summary()}");
        foreach (var a in group.Activities.TakeLast(activities))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"    {Line(a)}");
        }
    }

    /// <summary>One activity in full, for the plain-text frames and the end-of-run history.</summary>
    public string Line(ScalingActivity a) =>
        $"{Seconds(a.StartTime),6} {a.Status,-11} {a.Description}"
        + (a.EndTime is { } end ? string.Create(CultureInfo.InvariantCulture, $" (took {(end - a.StartTime).TotalSeconds:0.00} s)") : string.Empty)
        + $" | cause: {Relative(a.Cause)}"
        + (a.StatusMessage is null ? string.Empty : $" | {a.StatusMessage}");

    private string Summary()
    {
        var instances = group.Instances;
        var inService = instances.Count(i => i.State == ScalingInstanceState.InService);
        var list = string.Join(", ", instances.Select(i => $"{i.Id} {i.State}"));
        return $"min {group.MinSize} · desired {group.DesiredCapacity} · max {group.MaxSize} · in service {inService} · "
            + $"policy {policy}\ninstances: {(list.Length == 0 ? "none" : list)}";
    }

    private string Seconds(DateTimeOffset at) => string.Create(CultureInfo.InvariantCulture, $"{(at - start).TotalSeconds:0.0}s");

    // Causes carry UTC stamps in whole seconds ("At 2026-11-21T13:40:05Z policy ..."); show them as seconds since the
    // start, taking the middle of the stamp's second (so within half a second of the event).
    private string Relative(string cause) => Stamp().Replace(cause, m =>
        DateTimeOffset.TryParse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? string.Create(CultureInfo.InvariantCulture, $"At {Math.Max(0, (at.AddMilliseconds(500) - start).TotalSeconds):0}s")
            : m.Value);

    private static string FirstSentence(string cause)
    {
        var end = cause.IndexOf(". At ", StringComparison.Ordinal);
        return end < 0 ? cause : cause[..(end + 1)];
    }

    [GeneratedRegex(@"At (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")]
    private static partial Regex Stamp();
}
