namespace Loadstone.Scaling.Tests;

public sealed class AlarmEvaluatorTests
{
    private static ScalingAlarmState Run(int n, int m, MissingDataTreatment treatment, params double?[] datapoints)
    {
        var alarm = new AlarmEvaluator(n, m, treatment, v => v > 10);
        var state = ScalingAlarmState.InsufficientData;
        foreach (var d in datapoints)
        {
            state = alarm.Add(d);
        }

        return state;
    }

    [Fact]
    public void Add_TwoOfThreeBreaching_Alarm() =>
        Assert.Equal(ScalingAlarmState.Alarm, Run(3, 2, MissingDataTreatment.Missing, 20, 5, 20));

    [Fact]
    public void Add_OneOfThreeBreaching_Ok() =>
        Assert.Equal(ScalingAlarmState.Ok, Run(3, 2, MissingDataTreatment.Missing, 5, 5, 20));

    [Fact]
    public void Add_OldBreachesLeaveTheWindow_Ok() =>
        Assert.Equal(ScalingAlarmState.Ok, Run(3, 2, MissingDataTreatment.Missing, 20, 20, 5, 5, 5));

    [Fact]
    public void Add_FirstDatapointOfThreeBelow_StillInsufficientData() =>
        Assert.Equal(ScalingAlarmState.InsufficientData, Run(3, 3, MissingDataTreatment.Missing, 20));

    [Fact]
    public void Add_AllMissingWithMissingTreatment_InsufficientData() =>
        Assert.Equal(ScalingAlarmState.InsufficientData, Run(3, 2, MissingDataTreatment.Missing, 20, 20, null, null, null));

    [Theory]
    [InlineData(MissingDataTreatment.Breaching, ScalingAlarmState.Alarm)]
    [InlineData(MissingDataTreatment.NotBreaching, ScalingAlarmState.Ok)]
    [InlineData(MissingDataTreatment.Missing, ScalingAlarmState.Ok)]
    [InlineData(MissingDataTreatment.Ignore, ScalingAlarmState.Alarm)]
    public void Add_OneBreachThenTwoMissing_DependsOnTreatment(MissingDataTreatment treatment, ScalingAlarmState expected) =>
        Assert.Equal(expected, Run(3, 2, treatment, 5, 20, 20, 5, null, null));

    [Fact]
    public void Add_IgnoreWithNoDataEver_KeepsState() =>
        Assert.Equal(ScalingAlarmState.InsufficientData, Run(2, 2, MissingDataTreatment.Ignore, null, null, null));

    [Fact]
    public void Add_IgnoreAfterAlarm_StaysInAlarmThroughMissingData() =>
        Assert.Equal(ScalingAlarmState.Alarm, Run(2, 2, MissingDataTreatment.Ignore, 20, 20, null, null, null));
}
