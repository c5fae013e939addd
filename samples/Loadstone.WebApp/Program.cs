using Loadstone;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddLoadBalancedHttpClient("catalog", o =>
{
    o.Endpoints.Add("http://localhost:5080", zone: "eu-west-1a");
    o.Endpoints.Add("http://localhost:5081", zone: "eu-west-1b", weight: 3);
    o.Strategy = LoadBalancingStrategies.PeakEwma;   // default: PowerOfTwoChoices
});
var app = builder.Build();

// The client's BaseAddress is http://catalog; each request goes to one of the endpoints,
// e.g. GET /items?page=2 → http://localhost:5081/items?page=2.
app.MapGet("/items", (IHttpClientFactory clients) => clients.CreateClient("catalog").GetStringAsync("/items?page=2"));
app.Run();
