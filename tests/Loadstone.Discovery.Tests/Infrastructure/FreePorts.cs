using System.Net;
using System.Net.Sockets;

namespace Loadstone.Discovery.Tests;

/// <summary>Unprivileged loopback ports that are free right now, for servers the fixtures start.</summary>
internal static class FreePorts
{
    /// <summary>A port free for both TCP and UDP on 127.0.0.1 (DNS servers listen on both).</summary>
    public static int TcpAndUdp()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var port = Tcp();
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP; try another.
            }
        }

        throw new InvalidOperationException("No free loopback port for TCP and UDP.");
    }

    public static int Tcp()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
