namespace Loadstone;

/// <summary>
/// Runs the code that configures a service (<c>AddLoadBalancedService(name, o => ...)</c>) so that an invalid argument
/// it passes (an address to <c>Endpoints.Add</c>, say) is reported by validation with the service's name and every
/// other problem, instead of escaping from the options factory without saying which service it was for.
/// </summary>
internal static class CodeConfiguration
{
    public static Action<LoadBalancingOptions> Reporting(string service, Action<LoadBalancingOptions> configure) => options =>
    {
        try
        {
            configure(options);
        }
        catch (ArgumentException ex)
        {
            options.ConfigurationProblems.Add($"Service '{service}': the code that configures it threw {ex.GetType().Name}: {EndpointValidation.WithoutParameterName(ex.Message)}");

            // The rest of the code did not run; whatever it would have added is not missing from the settings.
            options.HasRejectedEndpoints = true;
        }
    };
}
