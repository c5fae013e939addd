using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Loadstone.Discovery.Etcd;
using Loadstone.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Loadstone.Discovery.Tests.Etcd;

/// <summary>Self-registration in a real etcd, from an in-process host: the key, its lease, deletion at shutdown, and re-registration.</summary>
public sealed class EtcdRegistrationTests : IAsyncLifetime
{
    private readonly string _prefix = $"/services/catalog-{Guid.NewGuid():N}/";
    private EtcdServer _etcd = null!;

    public async Task InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async Task DisposeAsync() => await _etcd.DisposeAsync();

    [Fact]
    public async Task StartedAsync_Registers_KeyHoldsTheEndpointDocumentUnderALeaseWithTheTtl()
    {
        using var host = BuildHost(o =>
        {
            o.Zone = "eu-west-1a";
            o.Weight = 7;
            o.Metadata["version"] = "1.4.2";
        });

        await host.StartAsync();
        var registration = Registration(host);
        await registration.Registered.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(_prefix + "127.0.0.1:5001", registration.Key);
        var kv = Assert.Single((await _etcd.KV.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(registration.Key!) })).Kvs);
        using var document = JsonDocument.Parse(kv.Value.ToStringUtf8());
        Assert.Equal("http://127.0.0.1:5001/", document.RootElement.GetProperty("address").GetString());
        Assert.Equal("eu-west-1a", document.RootElement.GetProperty("zone").GetString());
        Assert.Equal(7, document.RootElement.GetProperty("weight").GetInt32());
        Assert.Equal("1.4.2", document.RootElement.GetProperty("metadata").GetProperty("version").GetString());
        var lease = await _etcd.Lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = kv.Lease });
        Assert.Equal(2, lease.GrantedTTL);

        await host.StopAsync();
    }

    [Fact]
    public async Task StopAsync_DeletesTheKeyFirstThenKeepsServingForTheDrainDelay()
    {
        var clock = TestClock.Create();
        using var host = BuildHost(o =>
        {
            o.LeaseTtl = TimeSpan.FromSeconds(30);
            o.DrainDelay = TimeSpan.FromSeconds(5);
        }, clock);
        await host.StartAsync();
        await Registration(host).Registered.WaitAsync(TimeSpan.FromSeconds(10));

        var stopping = host.StopAsync();
        await Eventually.TrueAsync(() => _etcd.KeysAsync(_prefix).Result.Length == 0, "the key to be deleted");
        await Task.Delay(100);
        Assert.False(stopping.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(5));
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task KeepAlive_LeaseRevokedElsewhere_RegistersAgainUnderANewLease()
    {
        using var host = BuildHost(o => o.LeaseTtl = TimeSpan.FromSeconds(3));
        await host.StartAsync();
        var registration = Registration(host);
        await registration.Registered.WaitAsync(TimeSpan.FromSeconds(10));
        var key = ByteString.CopyFromUtf8(registration.Key!);
        var first = Assert.Single((await _etcd.KV.RangeAsync(new RangeRequest { Key = key })).Kvs).Lease;

        await _etcd.Lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = first });

        await Eventually.TrueAsync(
            () => _etcd.KV.Range(new RangeRequest { Key = key }).Kvs is [{ } kv] && kv.Lease != first,
            "the key to come back under a new lease");
        await host.StopAsync();
    }

    [Fact]
    public void AddEtcdRegistration_InvalidOptions_HostStartFailsWithEveryProblem()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEtcdRegistration(o =>
        {
            o.LeaseTtl = TimeSpan.FromMilliseconds(1500);
            o.Weight = -1;
            o.InstanceId = "a/b";
        });
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetServices<IHostedService>().ToList());

        Assert.Equal(
        [
            "etcd registration Endpoints is empty; list the etcd cluster's client URLs, e.g. http://10.0.0.10:2379.",
            "etcd registration Prefix is missing; set the key prefix of the service's endpoints, e.g. /services/catalog/.",
            "etcd registration Address is missing; set the address clients should call (e.g. http://10.0.1.5:8080), or AddressFactory.",
            "etcd registration Weight is -1; it must be between 0 and 10000.",
            "etcd registration InstanceId is 'a/b'; it must be non-empty and contain no '/', so the key stays directly under the prefix.",
            "etcd registration LeaseTtl is 00:00:01.5000000; it must be a whole number of seconds between 00:00:02 and 01:00:00.",
        ],
            error.Failures);
    }

    [Theory]
    [InlineData("http://10.0.1.5:0", null, "etcd registration Address is not valid: 'http://10.0.1.5:0' has port 0; a port must be between 1 and 65535.")]
    [InlineData("http://10.0.1.5:70000", null, "etcd registration Address is not valid: 'http://10.0.1.5:70000' has port 70000; a port must be between 1 and 65535.")]
    [InlineData("10.0.1.5:8080", null, "etcd registration Address is not valid: '10.0.1.5:8080' has no scheme; write it as http://10.0.1.5:8080 or https://10.0.1.5:8080.")]
    [InlineData("http://10.0.1.5:8080", "admin.v2", "etcd registration Name is 'admin.v2': endpoint name 'admin.v2' could never be requested (as http://_admin.v2.service): a name holds only letters, digits, '-' and '_'.")]
    public void AddEtcdRegistration_EndpointTheBalancerWouldRefuse_HostStartFailsInsteadOfAtRegistration(string address, string? name, string expected)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddEtcdRegistration(o =>
        {
            o.Endpoints.Add("http://127.0.0.1:2379");
            o.Prefix = "/services/catalog/";
            o.Address = address;
            o.Name = name;
        });
        using var host = builder.Build();

        var error = Assert.Throws<OptionsValidationException>(() => host.Services.GetServices<IHostedService>().ToList());

        Assert.Equal([expected], error.Failures);
    }

    private IHost BuildHost(Action<EtcdRegistrationOptions> configure, TimeProvider? clock = null)
    {
        var builder = Host.CreateApplicationBuilder();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services.AddEtcdRegistration(o =>
        {
            o.Endpoints.Add(_etcd.ClientUrl);
            o.Prefix = _prefix;
            o.Address = "http://127.0.0.1:5001";
            o.LeaseTtl = TimeSpan.FromSeconds(2);
            o.DrainDelay = TimeSpan.Zero;
            configure(o);
        });
        return builder.Build();
    }

    private static EtcdRegistrationService Registration(IHost host) =>
        host.Services.GetServices<IHostedService>().OfType<EtcdRegistrationService>().Single();
}
