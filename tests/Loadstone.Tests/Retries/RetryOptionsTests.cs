using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Tests.Retries;

/// <summary>Retry options: defaults, which requests may be retried, and binding from configuration.</summary>
public sealed class RetryOptionsTests
{
    private static LoadBalancingOptions Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new LoadBalancingOptions();
        LoadBalancingConfiguration.Apply(configuration.GetSection("LoadBalancing:Services:catalog"), options);
        Assert.Empty(options.ConfigurationProblems);
        return options;
    }

    [Fact]
    public void Defaults_AreTheDocumentedOnes()
    {
        var options = new RetryOptions();

        Assert.True(options.Enabled);
        Assert.Equal(2, options.MaxRetryAttempts);
        Assert.Equal("502,503,504", options.StatusCodes);
        Assert.False(options.RetryNonIdempotent);
        Assert.Null(options.AttemptTimeout);
        Assert.Equal(20, options.BudgetPercent);
        Assert.Equal(10, options.MinRetriesPerSecond);
        Assert.Equal(TimeSpan.Zero, options.Delay);
    }

    [Fact]
    public void Configuration_StatusCodes_ReplaceTheDefaults()
    {
        var options = Bind(new() { ["LoadBalancing:Services:catalog:Retries:StatusCodes"] = "429,503" });

        var executor = new RetryPolicy(options.Retries, TestClock.Create());
        Assert.Equal([429, 503], Enumerable.Range(100, 500).Where(code => IsRetried(executor, code)));
    }

    [Theory]
    [InlineData("502,503,504", new[] { 502, 503, 504 })]
    [InlineData("500-599", new[] { 500, 599 })]
    [InlineData("408, 500-502", new[] { 408, 500, 501, 502 })]
    [InlineData("", new int[0])]
    public void IsRetryable_StatusCodes_MatchLikeAHealthCheckMatcher(string codes, int[] expected)
    {
        var executor = new RetryPolicy(new RetryOptions { StatusCodes = codes }, TestClock.Create());

        var retried = Enumerable.Range(100, 500).Where(code => IsRetried(executor, code)).ToArray();

        Assert.Equal(expected, codes == "500-599" ? [retried.First(), retried.Last()] : retried);
        Assert.Equal(codes == "500-599" ? 100 : expected.Length, retried.Length);
    }

    [Fact]
    public void Validate_BadStatusCodes_ReportedWithTheSetting()
    {
        var options = new LoadBalancingOptions();
        options.Endpoints.Add("http://127.0.0.1:1");
        options.Retries.StatusCodes = "503,6000";

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new ServicePool("catalog", options));

        Assert.Contains("Retries:StatusCodes (LoadBalancing:Services:catalog:Retries:StatusCodes) has '6000'", ex.Message, StringComparison.Ordinal);
    }

    private static bool IsRetried(RetryPolicy executor, int code)
    {
        using var response = new HttpResponseMessage((System.Net.HttpStatusCode)code);
        return executor.IsRetryable(response);
    }

    [Fact]
    public void Configuration_EveryRetryOption_Binds()
    {
        var options = Bind(new()
        {
            ["LoadBalancing:Services:catalog:Retries:Enabled"] = "false",
            ["LoadBalancing:Services:catalog:Retries:MaxRetryAttempts"] = "3",
            ["LoadBalancing:Services:catalog:Retries:RetryNonIdempotent"] = "true",
            ["LoadBalancing:Services:catalog:Retries:AttemptTimeout"] = "00:00:02",
            ["LoadBalancing:Services:catalog:Retries:BudgetPercent"] = "10",
            ["LoadBalancing:Services:catalog:Retries:MinRetriesPerSecond"] = "5",
            ["LoadBalancing:Services:catalog:Retries:Delay"] = "00:00:00.050",
        });

        var r = options.Retries;
        Assert.Equal((false, 3, true, TimeSpan.FromSeconds(2), 10, 5, TimeSpan.FromMilliseconds(50)),
            (r.Enabled, r.MaxRetryAttempts, r.RetryNonIdempotent, r.AttemptTimeout, r.BudgetPercent, r.MinRetriesPerSecond, r.Delay));
    }

    [Theory]
    [InlineData("GET", false, true)]
    [InlineData("HEAD", false, true)]
    [InlineData("PUT", false, true)]
    [InlineData("DELETE", false, true)]
    [InlineData("OPTIONS", false, true)]
    [InlineData("POST", false, false)]
    [InlineData("PATCH", false, false)]
    [InlineData("POST", true, true)]
    [InlineData("PATCH", true, true)]
    public void CanRetry_Method_IdempotentOrOptedIn(string method, bool retryNonIdempotent, bool expected)
    {
        var executor = new RetryPolicy(new RetryOptions { RetryNonIdempotent = retryNonIdempotent }, TestClock.Create());
        using var request = new HttpRequestMessage(new HttpMethod(method), "http://catalog/");

        Assert.Equal(expected, executor.CanRetry(request));
    }

    [Fact]
    public void CanRetry_Content_OnlyWhenItCanBeSentAgain()
    {
        var executor = new RetryPolicy(new RetryOptions(), TestClock.Create());
        using var bytes = new HttpRequestMessage(HttpMethod.Put, "http://catalog/") { Content = new StringContent("x") };
        using var json = new HttpRequestMessage(HttpMethod.Put, "http://catalog/") { Content = System.Net.Http.Json.JsonContent.Create(new { A = 1 }) };
        using var stream = new HttpRequestMessage(HttpMethod.Put, "http://catalog/") { Content = new StreamContent(new MemoryStream([1])) };

        Assert.True(executor.CanRetry(bytes));
        Assert.True(executor.CanRetry(json));
        Assert.False(executor.CanRetry(stream));
    }
}
