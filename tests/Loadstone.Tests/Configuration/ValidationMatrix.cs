namespace Loadstone.Tests.Configuration;

/// <summary>
/// The rows of <see cref="ValidationMatrixTests"/>: invalid inputs, one per row, with the exact message each must produce.
/// Settings are written <c>Key=Value</c>, separated by <c> | </c>; a key is relative to <c>LoadBalancing:Services:catalog</c>
/// unless it starts with <c>Services:</c> or <c>LoadBalancing:</c>. In an expected message, <c>…</c> stands for any text
/// (used where a list of settings would tie the row to every option added later).
/// </summary>
internal static class ValidationMatrix
{
    public const string S = "Service 'catalog': ";
    public const string K = "LoadBalancing:Services:catalog";
    private const string Strategies = "RoundRobin, Random, WeightedRoundRobin, LeastRequests, PowerOfTwoChoices, PeakEwma, FirstAvailable";
    private const string TimeSpanFormat = "write a time span as [d.]hh:mm:ss[.fffffff], e.g. 00:00:10 for 10 seconds or 00:05:00 for 5 minutes.";
    private const string Port = "a port must be between 1 and 65535.";
    private const string Route = "Routes:0:Priority=1 | Routes:0:Forward:Pool=catalog | ";
    private const string NeverHost = "a host pattern holds only letters, digits, '-', '.', '_' and the wildcards '*' and '?' (no spaces, schemes, ports or paths), so it can never match.";
    private const string EndpointSettings = "an endpoint has Address, Zone, Weight, Name, Metadata.";

    /// <summary>LoadBalancing:Services:catalog, read at start-up.</summary>
    public static TheoryData<string, string> Configuration => new()
    {
        // Unknown keys: everywhere, with the section's settings and the nearest name.
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Wieght=3", $"{S}Endpoints:0:Wieght ({K}:Endpoints:0:Wieght) is not a known setting; {EndpointSettings} Did you mean Weight?" },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Zones=a", $"{S}Endpoints:0:Zones ({K}:Endpoints:0:Zones) is not a known setting; {EndpointSettings} Did you mean Zone?" },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:HostName=n1", $"{S}Endpoints:0:HostName ({K}:Endpoints:0:HostName) is not a known setting; {EndpointSettings}" },
        { "Stratgy=RoundRobin", $"{S}Stratgy ({K}:Stratgy) is not a known setting; a service has Endpoints, Strategy, …, Discovery. Did you mean Strategy?" },
        { "Zones:LocalZon=eu-west-1a", $"{S}Zones:LocalZon ({K}:Zones:LocalZon) is not a known setting; Zones has LocalZone, Mode, LocalShare, CallerShares, MinimumPoolSize. Did you mean LocalZone?" },
        { "Retries:StatusCode=503", $"{S}Retries:StatusCode ({K}:Retries:StatusCode) is not a known setting; Retries has … Did you mean StatusCodes?" },
        { "Retries:MaxAttempts=2", $"{S}Retries:MaxAttempts ({K}:Retries:MaxAttempts) is not a known setting; Retries has …MaxRetryAttempts…" },
        { "SlowStart:Windw=00:01:00", $"{S}SlowStart:Windw ({K}:SlowStart:Windw) is not a known setting; SlowStart has Window, MinimumWeightPercent, Aggression. Did you mean Window?" },
        { "HealthChecks:Active:Intervall=00:00:10", $"{S}HealthChecks:Active:Intervall ({K}:HealthChecks:Active:Intervall) is not a known setting; HealthChecks:Active has … Did you mean Interval?" },
        { "HealthChecks:Passive:ConsecutiveErrors=5", $"{S}HealthChecks:Passive:ConsecutiveErrors ({K}:HealthChecks:Passive:ConsecutiveErrors) is not a known setting; HealthChecks:Passive has …ConsecutiveServerErrors…" },
        { "HealthChecks:Pasive:Enabled=false", $"{S}HealthChecks:Pasive ({K}:HealthChecks:Pasive) is not a known setting; HealthChecks has Active, Passive, FailOpen. Did you mean Passive?" },
        { "StickySessions:IsEnabled=true", $"{S}StickySessions:IsEnabled ({K}:StickySessions:IsEnabled) is not a known setting; StickySessions has KeySource, KeyName, Duration, FailurePolicy, MaxBindings, BoundedLoadFactor." },
        { "Subsetting:IsEnabled=true", $"{S}Subsetting:IsEnabled ({K}:Subsetting:IsEnabled) is not a known setting; Subsetting has Mode, SubsetSize, MinAperture, ClientIndex, ClientCount, ZoneMode." },
        { Route + "Routes:0:Match:Cookie=session", $"{S}Routes:0:Match:Cookie ({K}:Routes:0:Match:Cookie) is not a known setting; Routes:0:Match has Hosts, Paths, Methods, Headers, Query." },
        { Route + "Routes:0:Match:Path:0=/api", $"{S}Routes:0:Match:Path ({K}:Routes:0:Match:Path) is not a known setting; Routes:0:Match has Hosts, Paths, Methods, Headers, Query. Did you mean Paths?" },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pol=catalog", $"{S}Routes:0:Forward:Pol ({K}:Routes:0:Forward:Pol) is not a known setting; Routes:0:Forward has Pool, Pools, Stickiness. Did you mean Pool?" },
        { Route + "Routes:0:Prio=2", $"{S}Routes:0:Prio ({K}:Routes:0:Prio) is not a known setting; Routes:0 has Name, Priority, Match, Forward." },
        { Route + "Routes:0:Match:Headers:0:Nmae=X-Canary", $"{S}Routes:0:Match:Headers:0:Nmae ({K}:Routes:0:Match:Headers:0:Nmae) is not a known setting; Routes:0:Match:Headers:0 has Name, Values. Did you mean Name?" },
        { Route + "Routes:0:Match:Query:0:Name=tenant", $"{S}Routes:0:Match:Query:0:Name ({K}:Routes:0:Match:Query:0:Name) is not a known setting; Routes:0:Match:Query:0 has Key, Values." },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pools:0:Pool=catalog | Routes:0:Forward:Pools:0:Wieght=5", $"{S}Routes:0:Forward:Pools:0:Wieght ({K}:Routes:0:Forward:Pools:0:Wieght) is not a known setting; Routes:0:Forward:Pools:0 has Pool, Weight. Did you mean Weight?" },
        { "HasRejectedEndpoints=true", $"{S}HasRejectedEndpoints ({K}:HasRejectedEndpoints) is not a known setting; a service has Endpoints, Strategy, …" },
        { "Discovery:Consul:Address=http://10.0.0.9:8500", $"{S}Discovery:Consul ({K}:Discovery:Consul) names no registered discovery provider (none is registered); register one, e.g. services.AddConsulDiscovery()." },

        // Values that do not convert: the allowed values or the format.
        { "Zones:Mode=Afinity", $"{S}Zones:Mode ({K}:Zones:Mode) is 'Afinity'; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "Zones:Mode=1", $"{S}Zones:Mode ({K}:Zones:Mode) is '1'; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "Zones:Mode=Affinity,PerZone", $"{S}Zones:Mode ({K}:Zones:Mode) is 'Affinity,PerZone'; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "Zones:Mode=cross-zone", $"{S}Zones:Mode ({K}:Zones:Mode) is 'cross-zone'; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "StickySessions:KeySource=Headers", $"{S}StickySessions:KeySource ({K}:StickySessions:KeySource) is 'Headers'; use one of None, Header, Cookie, QueryParameter, RequestOption, Selector." },
        { "StickySessions:FailurePolicy=Retry", $"{S}StickySessions:FailurePolicy ({K}:StickySessions:FailurePolicy) is 'Retry'; use one of Redistribute, Fail." },
        { "Subsetting:Mode=On", $"{S}Subsetting:Mode ({K}:Subsetting:Mode) is 'On'; use one of Off, Deterministic, Aperture." },
        { "Subsetting:ZoneMode=Local", $"{S}Subsetting:ZoneMode ({K}:Subsetting:ZoneMode) is 'Local'; use one of Proportional, LocalZone." },
        { "HealthChecks:Active:Interval=10s", $"{S}HealthChecks:Active:Interval ({K}:HealthChecks:Active:Interval) is '10s'; {TimeSpanFormat}" },
        { "LatencyDecayTime=5 seconds", $"{S}LatencyDecayTime ({K}:LatencyDecayTime) is '5 seconds'; {TimeSpanFormat}" },
        { "HealthChecks:Passive:Interval=ten", $"{S}HealthChecks:Passive:Interval ({K}:HealthChecks:Passive:Interval) is 'ten'; {TimeSpanFormat}" },
        { "Retries:AttemptTimeout=1m", $"{S}Retries:AttemptTimeout ({K}:Retries:AttemptTimeout) is '1m'; {TimeSpanFormat}" },
        { "StickySessions:Duration=1d", $"{S}StickySessions:Duration ({K}:StickySessions:Duration) is '1d'; {TimeSpanFormat}" },
        { "HealthChecks:Passive:BaseEjectionTime=30", $"{S}HealthChecks:Passive:BaseEjectionTime ({K}:HealthChecks:Passive:BaseEjectionTime) is 30.00:00:00; it must be between 00:00:01 and 01:00:00." },
        { "UseServiceNameAsHost=yes", $"{S}UseServiceNameAsHost ({K}:UseServiceNameAsHost) is 'yes'; use true or false." },
        { "HealthChecks:Active:Enabled=on", $"{S}HealthChecks:Active:Enabled ({K}:HealthChecks:Active:Enabled) is 'on'; use true or false." },
        { "Retries:Enabled=1", $"{S}Retries:Enabled ({K}:Retries:Enabled) is '1'; use true or false." },
        { "HealthChecks:FailOpen:Enabled=no", $"{S}HealthChecks:FailOpen:Enabled ({K}:HealthChecks:FailOpen:Enabled) is 'no'; use true or false." },
        { "Retries:RetryNonIdempotent=y", $"{S}Retries:RetryNonIdempotent ({K}:Retries:RetryNonIdempotent) is 'y'; use true or false." },
        { "Retries:MaxRetryAttempts=2.5", $"{S}Retries:MaxRetryAttempts ({K}:Retries:MaxRetryAttempts) is '2.5'; it must be a whole number." },
        { "HealthChecks:Active:HealthyThreshold=two", $"{S}HealthChecks:Active:HealthyThreshold ({K}:HealthChecks:Active:HealthyThreshold) is 'two'; it must be a whole number." },
        { "HealthChecks:Active:Port=http", $"{S}HealthChecks:Active:Port ({K}:HealthChecks:Active:Port) is 'http'; it must be a whole number." },
        { "StickySessions:MaxBindings=99999999999", $"{S}StickySessions:MaxBindings ({K}:StickySessions:MaxBindings) is '99999999999'; it must be a whole number." },
        { "Routes:0:Priority=first | Routes:0:Forward:Pool=catalog", $"{S}Routes:0:Priority ({K}:Routes:0:Priority) is 'first'; it must be a whole number." },
        { "Subsetting:ClientIndex=pod-3", $"{S}Subsetting:ClientIndex ({K}:Subsetting:ClientIndex) is 'pod-3'; it must be a whole number." },
        { "Zones:LocalShare=85%", $"{S}Zones:LocalShare ({K}:Zones:LocalShare) is '85%'; it must be a number, with '.' as the decimal point (e.g. 0.85)." },
        { "HealthChecks:Active:Jitter=0,1", $"{S}HealthChecks:Active:Jitter ({K}:HealthChecks:Active:Jitter) is '0,1'; it must be a number, with '.' as the decimal point (e.g. 0.85)." },
        { "StickySessions:BoundedLoadFactor=high", $"{S}StickySessions:BoundedLoadFactor ({K}:StickySessions:BoundedLoadFactor) is 'high'; it must be a number, with '.' as the decimal point (e.g. 0.85)." },
        { "Zones:CallerShares:eu-west-1a=half", $"{S}Zones:CallerShares:eu-west-1a ({K}:Zones:CallerShares:eu-west-1a) is 'half'; it must be a number, with '.' as the decimal point (e.g. 0.85)." },

        // A value where a section belongs, a section where a value belongs, an array entry that is not an index.
        { "HealthChecks=true", $"{S}HealthChecks ({K}:HealthChecks) is a section, not a single value ('true'); its settings are Active, Passive, FailOpen." },
        { "Strategy:Name=RoundRobin", $"{S}Strategy ({K}:Strategy) is a single value, not a section, so Strategy:Name is not a setting." },
        { "Retries:StatusCodes:0=503", $"{S}Retries:StatusCodes ({K}:Retries:StatusCodes) is a single value, not a section, so Retries:StatusCodes:0 is not a setting." },
        { "Routes=canary", $"{S}Routes ({K}:Routes) is an array, not a single value ('canary'); write its entries as Routes:0, Routes:1, ..." },
        { "Zones:CallerShares=even", $"{S}Zones:CallerShares ({K}:Zones:CallerShares) is a section of names and values, not a single value ('even'); write its entries as Zones:CallerShares:{{name}}." },
        { "Routes:canary:Priority=1", $"{S}Routes:canary ({K}:Routes:canary) is not an array index; Routes is an array, written Routes:0, Routes:1, ..." },
        { Route + "Routes:0:Match:Paths:api=/api", $"{S}Routes:0:Match:Paths:api ({K}:Routes:0:Match:Paths:api) is not an array index; Routes:0:Match:Paths is an array, written Routes:0:Match:Paths:0, Routes:0:Match:Paths:1, ..." },
        { "Endpoints=http://10.0.0.1:8080", $"{S}Endpoints ({K}:Endpoints) is a single value ('http://10.0.0.1:8080'), not an array; write Endpoints:0, Endpoints:1, ... (in JSON, \"Endpoints\": [ \"http://10.0.0.5:8080\" ])." },
        { "Endpoints:primary=http://10.0.0.1:8080", $"{S}Endpoints:primary ({K}:Endpoints:primary) is not an array index; Endpoints is an array, written Endpoints:0, Endpoints:1, ..." },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Metadata=v1", $"{S}Endpoints:0:Metadata ({K}:Endpoints:0:Metadata) is a single value ('v1'); write its entries as Endpoints:0:Metadata:{{name}}, e.g. Endpoints:0:Metadata:version." },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Metadata:build:id=7", $"{S}Endpoints:0:Metadata:build ({K}:Endpoints:0:Metadata:build) is a section; a metadata value is a string." },
        { "Endpoints:0:Address:0=http://10.0.0.1:8080", $"{S}Endpoints:0:Address ({K}:Endpoints:0:Address) is a section; it must be a single value." },
        { "Endpoints:0=http://10.0.0.1:8080 | Endpoints:0:Zone=a", $"{S}Endpoints:0 ({K}:Endpoints:0) is both an address and a section (Zone); write either the address or an object with Address, Zone, Weight, Name and Metadata." },

        // Endpoints: the address, the weight, the set.
        { "Endpoints:0=http://10.0.0.1:0", $"{S}Endpoints:0 ({K}:Endpoints:0): 'http://10.0.0.1:0' has port 0; {Port}" },
        { "Endpoints:0:Address=http://10.0.0.1:0", $"{S}Endpoints:0:Address ({K}:Endpoints:0:Address): 'http://10.0.0.1:0' has port 0; {Port}" },
        { "Endpoints:0=http://10.0.0.1:70000", $"{S}Endpoints:0 ({K}:Endpoints:0): 'http://10.0.0.1:70000' has port 70000; {Port}" },
        { "Endpoints:0=https://[fd00::5]:65536", $"{S}Endpoints:0 ({K}:Endpoints:0): 'https://[fd00::5]:65536' has port 65536; {Port}" },
        { "Endpoints:0=/items", $"{S}Endpoints:0 ({K}:Endpoints:0): '/items' is a path, not an absolute URI; write the endpoint's scheme and host first, such as http://10.0.0.5:8080/items (a path after the host is kept in front of each request's path)." },
        { "Endpoints:0=10.0.0.1:8080", $"{S}Endpoints:0 ({K}:Endpoints:0): '10.0.0.1:8080' has no scheme; write it as http://10.0.0.1:8080 or https://10.0.0.1:8080." },
        { "Endpoints:0=not a uri", $"{S}Endpoints:0 ({K}:Endpoints:0): 'not a uri' is not an absolute URI such as http://10.0.0.5:8080." },
        { "Endpoints:0=ftp://10.0.0.1", $"{S}Endpoints:0 ({K}:Endpoints:0): 'ftp://10.0.0.1' has scheme 'ftp'; only http and https are supported." },
        { "Endpoints:0=http://admin:hunter2@10.0.0.1", $"{S}Endpoints:0 ({K}:Endpoints:0): 'http://***@10.0.0.1' carries credentials in the URI; pass credentials in request headers instead." },
        { "Endpoints:0=http://10.0.0.1/?pool=a", $"{S}Endpoints:0 ({K}:Endpoints:0): 'http://10.0.0.1/?pool=a' has a query or fragment; an endpoint address may only have a path prefix." },
        { "Endpoints:0=", $"{S}Endpoints:0 ({K}:Endpoints:0) is empty; write the endpoint's address, such as http://10.0.0.5:8080." },
        { "Endpoints:0:Zone=eu-west-1a", $"{S}Endpoints:0 ({K}:Endpoints:0) has no Address; write either the address itself or an object with Address, Zone, Weight, Name and Metadata." },
        { "Endpoints:0:Address=http://10.0.0.1 | Endpoints:0:Weight=heavy", $"{S}Endpoints:0:Weight ({K}:Endpoints:0:Weight) is 'heavy'; it must be a whole number from 0 to 10000." },
        { "Endpoints:0:Address=http://10.0.0.1 | Endpoints:0:Weight=-1", $"{S}Endpoints:0:Weight ({K}:Endpoints:0:Weight) is -1; it must be between 0 and 10000." },
        { "Endpoints:0:Address=http://10.0.0.1 | Endpoints:0:Weight=10001", $"{S}Endpoints:0:Weight ({K}:Endpoints:0:Weight) is 10001; it must be between 0 and 10000." },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Name=admin.v2", $"{S}Endpoints:0:Name ({K}:Endpoints:0:Name) is 'admin.v2': endpoint name 'admin.v2' could never be requested (as http://_admin.v2.service): a name holds only letters, digits, '-' and '_'." },
        { "Endpoints:0:Address=http://10.0.0.1:8080 | Endpoints:0:Name=my dashboard", $"{S}Endpoints:0:Name ({K}:Endpoints:0:Name) is 'my dashboard': endpoint name 'my dashboard' could never be requested (as http://_my dashboard.service): a name holds only letters, digits, '-' and '_'." },
        { "Endpoints:0=http://10.0.0.1:8080 | Endpoints:1=HTTP://10.0.0.1:8080/", "Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "Strategy=RoundRobin | (no endpoints)", "Service 'catalog' has no endpoints: add them in code (Endpoints.Add), in configuration (LoadBalancing:Services:catalog:Endpoints or Services:catalog), or add an endpoint source." },

        // Settings that would silently do nothing.
        { "StickySessions:KeyName=session", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is 'session' but StickySessions.KeySource ({K}:StickySessions:KeySource) is None, so sticky sessions are off; set KeySource to Header, Cookie, QueryParameter or RequestOption, or remove KeyName." },
        { "Zones:Mode=Affinity", $"{S}Zones.Mode ({K}:Zones:Mode) is Affinity, which needs the caller's zone, but Zones.LocalZone ({K}:Zones:LocalZone) is not set; set it (e.g. eu-west-1a), or use PerZone or CrossZone." },
        { "Zones:Mode=ZoneAware | Zones:LocalShare=0.85", $"{S}Zones.Mode ({K}:Zones:Mode) is ZoneAware, which needs the caller's zone, but Zones.LocalZone ({K}:Zones:LocalZone) is not set; set it (e.g. eu-west-1a), or use PerZone or CrossZone." },
        { Route + "Routes:0:Match:Paths:0=api/*", $"{S}route 0: Match.Paths[0] ({K}:Routes:0:Match:Paths:0) is 'api/*'; request paths start with '/', so it can never match: write '/api/*'." },
        { Route + "Routes:0:Match:Hosts:0=api .example.com", $"{S}route 0: Match.Hosts[0] ({K}:Routes:0:Match:Hosts:0) is 'api .example.com'; {NeverHost}" },
        { Route + "Routes:0:Match:Hosts:0=http://api.example.com", $"{S}route 0: Match.Hosts[0] ({K}:Routes:0:Match:Hosts:0) is 'http://api.example.com'; {NeverHost}" },
        { Route + "Routes:0:Match:Hosts:0=catalog:8080", $"{S}route 0: Match.Hosts[0] ({K}:Routes:0:Match:Hosts:0) is 'catalog:8080'; hosts are matched without their port, so it can never match: write 'catalog'." },
        { Route + "Routes:0:Match:Methods:0=get", $"{S}route 0: Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'get'; methods are matched exactly and request methods are upper-case, so it can never match: write 'GET'." },
        { Route + "Routes:0:Name=writes | Routes:0:Match:Methods:0=Post", $"{S}route 'writes': Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'Post'; methods are matched exactly and request methods are upper-case, so it can never match: write 'POST'." },
        { Route + "Routes:0:Match:Methods:0=P*", $"{S}route 0: Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'P*'; a method is matched exactly, without wildcards or spaces: write one method, such as GET." },
        { Route + "Routes:0:Match:Methods:0=GET,POST", $"{S}route 0: Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'GET,POST'; a method is matched exactly, without wildcards or spaces: write one method, such as GET." },
        { Route + "Routes:0:Match:Headers:0:Name=X Canary | Routes:0:Match:Headers:0:Values:0=1", $"{S}route 0: Match.Headers[0].Name ({K}:Routes:0:Match:Headers:0:Name) is 'X Canary'; a header name has no spaces or separators (letters, digits and !#$%&'*+-.^_`|~), so it can never match." },
        { Route + "Routes:0:Match:Query:0:Key= | Routes:0:Match:Query:0:Values:0=1", $"{S}route 0: Match.Query[0].Key ({K}:Routes:0:Match:Query:0:Key) is empty; name the parameter, or leave Key out to match any parameter." },

        // Ranges and rules across settings.
        { "Strategy=Fastest", $"{S}Strategy 'Fastest' ({K}:Strategy) is not a known strategy; use one of {Strategies}, or register it with AddLoadBalancingStrategy." },
        { "Strategy=", $"{S}Strategy ({K}:Strategy) is empty; use one of {Strategies}." },
        { "LatencyDecayTime=00:00:00.050", $"{S}LatencyDecayTime ({K}:LatencyDecayTime) is 00:00:00.0500000; it must be between 00:00:00.1000000 and 00:10:00." },
        { "InitialLatency=00:02:00", $"{S}InitialLatency ({K}:InitialLatency) is 00:02:00; it must be between 00:00:00 and 00:01:00." },
        { "DeregistrationDelay=02:00:00", $"{S}DeregistrationDelay ({K}:DeregistrationDelay) is 02:00:00; it must be between 00:00:00 and 01:00:00." },
        { "HealthChecks:Active:Path=health", $"{S}HealthChecks:Active:Path ({K}:HealthChecks:Active:Path) is 'health'; it must start with '/'." },
        { "HealthChecks:Active:Port=0", $"{S}HealthChecks:Active:Port ({K}:HealthChecks:Active:Port) is 0; it must be between 1 and 65535." },
        { "HealthChecks:Active:Interval=00:10:00", $"{S}HealthChecks:Active:Interval ({K}:HealthChecks:Active:Interval) is 00:10:00; it must be between 00:00:01 and 00:05:00." },
        { "HealthChecks:Active:Timeout=00:00:20", $"{S}HealthChecks:Active:Timeout ({K}:HealthChecks:Active:Timeout) is 00:00:20; it must be less than HealthChecks:Active:Interval ({K}:HealthChecks:Active:Interval, 00:00:10)." },
        { "HealthChecks:Active:HealthyThreshold=11", $"{S}HealthChecks:Active:HealthyThreshold ({K}:HealthChecks:Active:HealthyThreshold) is 11; it must be between 1 and 10." },
        { "HealthChecks:Active:Jitter=0.6", $"{S}HealthChecks:Active:Jitter ({K}:HealthChecks:Active:Jitter) is 0.6; it must be between 0 and 0.5." },
        { "HealthChecks:Active:Matcher=600", $"{S}HealthChecks:Active:Matcher ({K}:HealthChecks:Active:Matcher) has '600', which is not a status code or range between 100 and 599 (such as 200 or 200-299)." },
        { "HealthChecks:Passive:ConsecutiveServerErrors=-1", $"{S}HealthChecks:Passive:ConsecutiveServerErrors ({K}:HealthChecks:Passive:ConsecutiveServerErrors) is -1; it must be between 0 and 1000." },
        { "HealthChecks:Passive:ConsecutiveGatewayErrors=1001", $"{S}HealthChecks:Passive:ConsecutiveGatewayErrors ({K}:HealthChecks:Passive:ConsecutiveGatewayErrors) is 1001; it must be between 0 and 1000." },
        { "HealthChecks:Passive:ConsecutiveLocalFailures=-1", $"{S}HealthChecks:Passive:ConsecutiveLocalFailures ({K}:HealthChecks:Passive:ConsecutiveLocalFailures) is -1; it must be between 0 and 1000." },
        { "HealthChecks:Passive:FailureRateThreshold=1.5", $"{S}HealthChecks:Passive:FailureRateThreshold ({K}:HealthChecks:Passive:FailureRateThreshold) is 1.5; it must be between 0 and 1." },
        { "HealthChecks:Passive:MaxEjectionTime=00:00:10", $"{S}HealthChecks:Passive:MaxEjectionTime ({K}:HealthChecks:Passive:MaxEjectionTime) is 00:00:10; it must be between 00:00:30 and 01:00:00 (at least BaseEjectionTime)." },
        { "HealthChecks:Passive:Interval=00:00:00.5", $"{S}HealthChecks:Passive:Interval ({K}:HealthChecks:Passive:Interval) is 00:00:00.5000000; it must be between 00:00:01 and 00:05:00." },
        { "HealthChecks:Passive:FailureRateMinimumRequests=0", $"{S}HealthChecks:Passive:FailureRateMinimumRequests ({K}:HealthChecks:Passive:FailureRateMinimumRequests) is 0; it must be between 1 and 2147483647." },
        { "HealthChecks:Passive:FailureRateMinimumHosts=10001", $"{S}HealthChecks:Passive:FailureRateMinimumHosts ({K}:HealthChecks:Passive:FailureRateMinimumHosts) is 10001; it must be between 0 and 10000." },
        { "HealthChecks:Passive:SuccessRateMinimumRequests=0", $"{S}HealthChecks:Passive:SuccessRateMinimumRequests ({K}:HealthChecks:Passive:SuccessRateMinimumRequests) is 0; it must be between 1 and 2147483647." },
        { "HealthChecks:Passive:SuccessRateMinimumHosts=0", $"{S}HealthChecks:Passive:SuccessRateMinimumHosts ({K}:HealthChecks:Passive:SuccessRateMinimumHosts) is 0; it must be between 1 and 10000." },
        { "HealthChecks:Passive:MaxEjectionPercent=101", $"{S}HealthChecks:Passive:MaxEjectionPercent ({K}:HealthChecks:Passive:MaxEjectionPercent) is 101; it must be between 0 and 100." },
        { "HealthChecks:FailOpen:MinimumHealthyPercent=150", $"{S}HealthChecks:FailOpen:MinimumHealthyPercent ({K}:HealthChecks:FailOpen:MinimumHealthyPercent) is 150; it must be between 0 and 100." },
        { "SlowStart:Window=00:00:10", $"{S}SlowStart:Window ({K}:SlowStart:Window) is 00:00:10; it must be between 00:00:30 and 00:15:00 (or 00:00:00 for off)." },
        { "SlowStart:MinimumWeightPercent=0", $"{S}SlowStart:MinimumWeightPercent ({K}:SlowStart:MinimumWeightPercent) is 0; it must be between 1 and 100." },
        { "SlowStart:Aggression=20", $"{S}SlowStart:Aggression ({K}:SlowStart:Aggression) is 20; it must be between 0.1 and 10." },
        { "Retries:MaxRetryAttempts=0", $"{S}Retries:MaxRetryAttempts ({K}:Retries:MaxRetryAttempts) is 0; it must be between 1 and 10." },
        { "Retries:BudgetPercent=200", $"{S}Retries:BudgetPercent ({K}:Retries:BudgetPercent) is 200; it must be between 0 and 100." },
        { "Retries:Delay=00:01:00", $"{S}Retries:Delay ({K}:Retries:Delay) is 00:01:00; it must be between 00:00:00 and 00:00:10." },
        { "Retries:AttemptTimeout=00:00:00.001", $"{S}Retries:AttemptTimeout ({K}:Retries:AttemptTimeout) is 00:00:00.0010000; it must be between 00:00:00.0100000 and 00:10:00." },
        { "Retries:StatusCodes=5xx", $"{S}Retries:StatusCodes ({K}:Retries:StatusCodes) has '5xx', which is not a status code or range between 100 and 599 (such as 200 or 200-299)." },
        { "StickySessions:KeySource=Header", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is empty; name the header that holds the sticky key." },
        { "StickySessions:KeySource=Selector", $"{S}StickySessions.KeySource ({K}:StickySessions:KeySource) is Selector, which needs a key function, and none is set; set it in code with StickySessions.KeyFrom(request => ...), or read the key from a Header, Cookie, QueryParameter or RequestOption." },
        { "StickySessions:Duration=00:00:00.5", $"{S}StickySessions.Duration ({K}:StickySessions:Duration) is 00:00:00.5000000; it must be between 00:00:01 and 7.00:00:00." },
        { "StickySessions:MaxBindings=10", $"{S}StickySessions.MaxBindings ({K}:StickySessions:MaxBindings) is 10; it must be between 100 and 10000000." },
        { "StickySessions:BoundedLoadFactor=0.5", $"{S}StickySessions.BoundedLoadFactor ({K}:StickySessions:BoundedLoadFactor) is 0.5; it must be between 1 and 10, or 0 to turn bounded loads off." },
        { "Zones:LocalShare=1.5", $"{S}Zones.LocalShare ({K}:Zones:LocalShare) is 1.5; it must be between 0 and 1 (1 for full affinity, 0.85 for partial)." },
        { "Zones:CallerShares:eu-west-1a=-1", $"{S}Zones.CallerShares ({K}:Zones:CallerShares:eu-west-1a) is -1; it must be a finite number of at least 0." },
        { "Zones:MinimumPoolSize=-1", $"{S}Zones.MinimumPoolSize ({K}:Zones:MinimumPoolSize) is -1; it must be between 0 and 10000." },
        { "Subsetting:Mode=Deterministic", $"{S}Subsetting:Mode ({K}:Subsetting:Mode) is Deterministic but this client's coordinate is not set; set Subsetting:ClientIndex ({K}:Subsetting:ClientIndex, e.g. a StatefulSet ordinal) and Subsetting:ClientCount ({K}:Subsetting:ClientCount), or give a peer coordinate source in code (UsePeerCoordinates)." },
        { "Subsetting:SubsetSize=0", $"{S}Subsetting:SubsetSize ({K}:Subsetting:SubsetSize) is 0; it must be between 1 and 10000." },
        { "Subsetting:MinAperture=10001", $"{S}Subsetting:MinAperture ({K}:Subsetting:MinAperture) is 10001; it must be between 1 and 10000." },
        { "Subsetting:ClientIndex=5 | Subsetting:ClientCount=3", $"{S}Subsetting:ClientIndex ({K}:Subsetting:ClientIndex) is 5; it must be between 0 and Subsetting:ClientCount − 1 (2)." },
        { "Subsetting:ClientIndex=1", $"{S}Subsetting:ClientIndex ({K}:Subsetting:ClientIndex) is set but Subsetting:ClientCount ({K}:Subsetting:ClientCount) is not; set the number of clients too." },
        { "Subsetting:ClientCount=3", $"{S}Subsetting:ClientCount ({K}:Subsetting:ClientCount) is set but Subsetting:ClientIndex ({K}:Subsetting:ClientIndex) is not; set this client's index too." },
        { "Subsetting:Mode=Aperture | Subsetting:ZoneMode=LocalZone | Subsetting:ClientIndex=0 | Subsetting:ClientCount=2", $"{S}Subsetting:ZoneMode ({K}:Subsetting:ZoneMode) is LocalZone but Zones:LocalZone ({K}:Zones:LocalZone) is not set; set the caller's zone." },
        { "Routes:0:Forward:Pool=catalog", $"{S}route 0: Priority ({K}:Routes:0:Priority) is 0; it must be between 1 and 50000." },
        { Route + "Routes:1:Priority=1 | Routes:1:Forward:Pool=catalog", $"{S}route 1: Priority ({K}:Routes:1:Priority) 1 is also the priority of route 0; priorities must be unique." },
        { Route + "Routes:0:Name=canary | Routes:1:Name=canary | Routes:1:Priority=2 | Routes:1:Forward:Pool=catalog", $"{S}route 1: Name ({K}:Routes:1:Name) is 'canary', which is also the name of route 0; names must be unique." },
        { "Routes:0:Priority=1 | Routes:0:Match:Paths:0=/a", $"{S}route 0: Forward ({K}:Routes:0:Forward) must set either Pool (one pool) or Pools (a weighted split), not neither." },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pool=ordres", $"{S}route 0 forwards to 'ordres' ({K}:Routes:0:Forward), which is not a configured service; known services: catalog." },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pools:0:Pool=catalog | Routes:0:Forward:Pools:0:Weight=0", $"{S}route 0: Forward.Pools ({K}:Routes:0:Forward:Pools) all have weight 0; at least one must be above 0." },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pools:0:Pool=catalog | Routes:0:Forward:Pools:0:Weight=1000", $"{S}route 0: Forward.Pools[0].Weight ({K}:Routes:0:Forward:Pools:0:Weight) is 1000; it must be between 0 and 999." },
        { "Routes:0:Priority=1 | Routes:0:Forward:Pools:0:Pool=catalog | Routes:0:Forward:Stickiness=00:10:00", $"{S}route 0: Forward.Stickiness ({K}:Routes:0:Forward:Stickiness) needs a sticky key; set StickySessions.KeySource and KeyName for the service." },
        { Route + "Routes:0:Match:Headers:0:Name=X-Canary", $"{S}route 0: Match.Headers[0].Values ({K}:Routes:0:Match:Headers:0:Values) is empty; give at least one value pattern." },
        { Route + "Routes:0:Match:Headers:0:Name=X-* | Routes:0:Match:Headers:0:Values:0=1", $"{S}route 0: Match.Headers[0].Name ({K}:Routes:0:Match:Headers:0:Name) must be a header name without wildcards." },
        { Route + "Routes:0:Match:Paths:0=", $"{S}route 0: Match.Paths[0] ({K}:Routes:0:Match:Paths:0) is empty." },
    };

    /// <summary>Microsoft.Extensions.ServiceDiscovery's schema, Services:catalog.</summary>
    public static TheoryData<string, string> ServiceDiscoverySchema => new()
    {
        { "Services:catalog:http:0=10.0.0.7:notaport", $"{S}Services:catalog:http:0: '10.0.0.7:notaport' is neither host:port (such as 10.0.0.5:8080) nor an absolute URI (such as https://10.0.0.5:8443)." },
        { "Services:catalog:http:0=10.0.0.7:70000", $"{S}Services:catalog:http:0: '10.0.0.7:70000' has port 70000; {Port}" },
        { "Services:catalog:http:0=[fd00::7]:70000", $"{S}Services:catalog:http:0: '[fd00::7]:70000' has port 70000; {Port}" },
        { "Services:catalog:https=https://10.0.0.7:99999", $"{S}Services:catalog:https: 'https://10.0.0.7:99999' has port 99999; {Port}" },
        { "Services:catalog:http:0=10.0.0.7:0", $"{S}Services:catalog:http:0: 'http://10.0.0.7:0' has port 0; {Port}" },
        { "Services:catalog:http:0=/items", $"{S}Services:catalog:http:0: '/items' is a path, not an absolute URI; write the endpoint's scheme and host first, such as http://10.0.0.5:8080/items (a path after the host is kept in front of each request's path)." },
        { "Services:catalog:http:primary=10.0.0.7:8080", $"{S}Services:catalog:http:primary: 'primary' is not an array index; Services:catalog:http holds one address or an array of them (0, 1, 2, ...)." },
        { "Services:catalog:http:0:host=10.0.0.7", $"{S}Services:catalog:http:0: an entry must be an address string (host:port or an absolute URI), not a section." },
        { "Services:catalog:http:0=  ", $"{S}Services:catalog:http:0: the address is empty; write host:port or an absolute URI such as http://10.0.0.5:8080." },
        { "Services:catalog:https:0=ftp://10.0.0.7", $"{S}Services:catalog:https:0: 'ftp://10.0.0.7' has scheme 'ftp'; only http and https are supported." },
        { "Services:catalog:dashboard=http://admin:hunter2@10.0.0.7:9090", $"{S}Services:catalog:dashboard: 'http://***@10.0.0.7:9090' carries credentials in the URI; pass credentials in request headers instead." },
        { "Services:catalog:http:0=http://10.0.0.7:8080/?x=1", $"{S}Services:catalog:http:0: 'http://10.0.0.7:8080/?x=1' has a query or fragment; an endpoint address may only have a path prefix." },
        { "Services:catalog:grpc.web:0=10.0.0.7:8080", $"{S}Services:catalog:grpc.web:0: endpoint name 'grpc.web' could never be requested (as http://_grpc.web.service): a name holds only letters, digits, '-' and '_'." },
        { "Services:catalog:http:0=10.0.0.1:8080", "Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
    };

    /// <summary>LoadBalancing:Connections:cache (and the cache service's tcp endpoints).</summary>
    public static TheoryData<string, string> Connections => new()
    {
        { "LoadBalancing:Connections:cache:MaxConnectAttempts=0", "Service 'cache': MaxConnectAttempts (LoadBalancing:Connections:cache:MaxConnectAttempts) is 0; it must be between 1 and 10." },
        { "LoadBalancing:Connections:cache:MaxConectAttempts=5", "Service 'cache': MaxConectAttempts (LoadBalancing:Connections:cache:MaxConectAttempts) is not a known setting; a connection balancer has MaxConnectAttempts, ConnectTimeout, ConnectDeadline, Tls, CloseConnectionsOnDeregistration. Did you mean MaxConnectAttempts?" },
        { "LoadBalancing:Connections:cache:ConnectTimeout=5s", $"Service 'cache': ConnectTimeout (LoadBalancing:Connections:cache:ConnectTimeout) is '5s'; {TimeSpanFormat}" },
        { "LoadBalancing:Connections:cache:ConnectDeadline=00:20:00", "Service 'cache': ConnectDeadline (LoadBalancing:Connections:cache:ConnectDeadline) is 00:20:00; it must be between 00:00:00.0100000 and 00:10:00." },
        { "LoadBalancing:Connections:cache:Tls:ServerName=Host", "Service 'cache': Tls:ServerName (LoadBalancing:Connections:cache:Tls:ServerName) is 'Host'; use one of ServiceName, EndpointHost." },
        { "LoadBalancing:Connections:cache:Tls:Sni=cache.internal", "Service 'cache': Tls:Sni (LoadBalancing:Connections:cache:Tls:Sni) is not a known setting; Tls has ServerName." },
        { "LoadBalancing:Connections:cache:Tls=on", "Service 'cache': Tls (LoadBalancing:Connections:cache:Tls) is a section, not a single value ('on'); its settings are ServerName." },
        { "LoadBalancing:Connections:cache:CloseConnectionsOnDeregistration=maybe", "Service 'cache': CloseConnectionsOnDeregistration (LoadBalancing:Connections:cache:CloseConnectionsOnDeregistration) is 'maybe'; use true or false." },
        { "LoadBalancing:Services:cache:Endpoints:0=tcp://10.0.0.1", "Service 'cache': Endpoints:0 (LoadBalancing:Services:cache:Endpoints:0): 'tcp://10.0.0.1' has no port; a tcp endpoint is written tcp://host:port." },
        { "LoadBalancing:Services:cache:Endpoints:0=tcp://10.0.0.1:0", $"Service 'cache': Endpoints:0 (LoadBalancing:Services:cache:Endpoints:0): 'tcp://10.0.0.1:0' has port 0; {Port}" },
    };

    /// <summary>Reloaded configuration (on top of a valid one): rejected, logged, the last good options kept.</summary>
    public static TheoryData<string, string> Reload => new()
    {
        { "Endpoints:2:Address=http://10.0.0.3:8080 | Endpoints:2:Wieght=3", $"{S}Endpoints:2:Wieght ({K}:Endpoints:2:Wieght) is not a known setting; {EndpointSettings} Did you mean Weight?" },
        { "Endpoints:2=http://10.0.0.3:0", $"{S}Endpoints:2 ({K}:Endpoints:2): 'http://10.0.0.3:0' has port 0; {Port}" },
        { "Endpoints:2=/items", $"{S}Endpoints:2 ({K}:Endpoints:2): '/items' is a path, not an absolute URI;…" },
        { "Endpoints:2=http://10.0.0.1:8080", "Service 'catalog' lists endpoint 'http://10.0.0.1:8080' more than once." },
        { "Services:catalog:http:0=10.0.0.7:70000", $"{S}Services:catalog:http:0: '10.0.0.7:70000' has port 70000; {Port}" },
        { "Zones:Mode=Afinity", $"{S}Zones:Mode ({K}:Zones:Mode) is 'Afinity'; use one of CrossZone, PerZone, Affinity, ZoneAware." },
        { "Zones:Mode=Affinity", $"{S}Zones.Mode ({K}:Zones:Mode) is Affinity, which needs the caller's zone, but Zones.LocalZone ({K}:Zones:LocalZone) is not set; set it (e.g. eu-west-1a), or use PerZone or CrossZone." },
        { "StickySessions:KeyName=session", $"{S}StickySessions.KeyName ({K}:StickySessions:KeyName) is 'session' but StickySessions.KeySource ({K}:StickySessions:KeySource) is None, so sticky sessions are off;…" },
        { "HealthChecks:Active:Interval=10s", $"{S}HealthChecks:Active:Interval ({K}:HealthChecks:Active:Interval) is '10s'; {TimeSpanFormat}" },
        { "Stratgy=Random", $"{S}Stratgy ({K}:Stratgy) is not a known setting; a service has … Did you mean Strategy?" },
        { "Strategy=Fastest", $"{S}Strategy 'Fastest' ({K}:Strategy) is not a known strategy; use one of {Strategies}, or register it with AddLoadBalancingStrategy." },
        { Route + "Routes:0:Match:Cookie=session", $"{S}Routes:0:Match:Cookie ({K}:Routes:0:Match:Cookie) is not a known setting; Routes:0:Match has Hosts, Paths, Methods, Headers, Query." },
        { Route + "Routes:0:Match:Methods:0=get", $"{S}route 0: Match.Methods[0] ({K}:Routes:0:Match:Methods:0) is 'get'; methods are matched exactly and request methods are upper-case, so it can never match: write 'GET'." },
        { "Retries:MaxRetryAttempts=0", $"{S}Retries:MaxRetryAttempts ({K}:Retries:MaxRetryAttempts) is 0; it must be between 1 and 10." },
    };
}
