using System.Net;
using Polly.Timeout;

namespace Loadstone.Tests.Http;

/// <summary>What the balancer learns from responses and exceptions, including gRPC statuses and Polly's timeouts.</summary>
public sealed class OutcomeClassifierTests
{
    [Fact]
    public void FromException_PollyTimeoutRejected_IsATimeoutAndRetryable()
    {
        var exception = new TimeoutRejectedException(TimeSpan.FromSeconds(1));

        Assert.Equal(RequestOutcome.Timeout, OutcomeClassifier.FromException(exception, CancellationToken.None));
        Assert.True(RetryPolicy.IsRetryable(exception, CancellationToken.None));
    }

    [Fact]
    public void FromException_CancelledWhileTheCallerIsNot_IsATimeout_WhileTheCallersCancellationIsNot()
    {
        using var caller = new CancellationTokenSource();
        var exception = new TaskCanceledException();

        Assert.Equal(RequestOutcome.Timeout, OutcomeClassifier.FromException(exception, caller.Token));
        caller.Cancel();
        Assert.Equal(RequestOutcome.Canceled, OutcomeClassifier.FromException(exception, caller.Token));
    }

    [Theory]
    [InlineData("0", RequestOutcome.Success)]
    [InlineData("1", RequestOutcome.Canceled)]
    [InlineData("2", RequestOutcome.ServerError)]
    [InlineData("3", RequestOutcome.Success)]
    [InlineData("4", RequestOutcome.Timeout)]
    [InlineData("5", RequestOutcome.Success)]
    [InlineData("8", RequestOutcome.GatewayError)]
    [InlineData("12", RequestOutcome.ServerError)]
    [InlineData("13", RequestOutcome.ServerError)]
    [InlineData("14", RequestOutcome.GatewayError)]
    [InlineData("15", RequestOutcome.ServerError)]
    [InlineData("16", RequestOutcome.Success)]
    public void FromResponse_GrpcTrailersOnlyStatus_ClassifiedLikeEnvoy(string grpcStatus, RequestOutcome expected)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        response.Headers.TryAddWithoutValidation("grpc-status", grpcStatus);

        Assert.Equal(expected, OutcomeClassifier.FromResponse(response));
    }

    [Fact]
    public void FromResponse_HttpStatuses_Unchanged()
    {
        using var ok = new HttpResponseMessage(HttpStatusCode.OK);
        using var unavailable = new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        using var error = new HttpResponseMessage(HttpStatusCode.InternalServerError);

        Assert.Equal(RequestOutcome.Success, OutcomeClassifier.FromResponse(ok));
        Assert.Equal(RequestOutcome.GatewayError, OutcomeClassifier.FromResponse(unavailable));
        Assert.Equal(RequestOutcome.ServerError, OutcomeClassifier.FromResponse(error));
    }
}
