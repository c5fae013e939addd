using System.Globalization;
using System.Text;

namespace Loadstone.ConnectionsSample;

/// <summary>
/// A minimal Redis client: RESP2 commands over any <see cref="Stream"/>, one command at a time. Enough for PING, SET,
/// GET and INFO; not a production client (no pipelining, no pooling, no reconnects: the balancer does the connecting).
/// </summary>
public sealed class RespClient(Stream stream)
{
    private readonly byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    public async Task<string> PingAsync(CancellationToken cancellationToken = default) =>
        (string)(await CommandAsync(["PING"], cancellationToken))!;

    public async Task SetAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        var reply = await CommandAsync(["SET", key, value], cancellationToken);
        if (reply is not "OK")
        {
            throw new InvalidDataException($"SET answered '{reply}'.");
        }
    }

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken = default) =>
        (string?)await CommandAsync(["GET", key], cancellationToken);

    /// <summary>The server's listening port, from <c>INFO server</c>: which instance this connection reached.</summary>
    public async Task<int> ServerPortAsync(CancellationToken cancellationToken = default) =>
        int.Parse(InfoField((string)(await CommandAsync(["INFO", "server"], cancellationToken))!, "tcp_port"), CultureInfo.InvariantCulture);

    /// <summary>Clients connected to the server now, this one included, from <c>INFO clients</c>.</summary>
    public async Task<int> ConnectedClientsAsync(CancellationToken cancellationToken = default) =>
        int.Parse(InfoField((string)(await CommandAsync(["INFO", "clients"], cancellationToken))!, "connected_clients"), CultureInfo.InvariantCulture);

    /// <summary>Sends one command and reads its reply: a string, a long, null, or an array of those.</summary>
    /// <exception cref="EndOfStreamException">The server closed the connection.</exception>
    /// <exception cref="InvalidOperationException">The server answered with an error.</exception>
    public async Task<object?> CommandAsync(string[] arguments, CancellationToken cancellationToken = default)
    {
        var request = new StringBuilder();
        request.Append('*').Append(arguments.Length).Append("\r\n");
        foreach (var argument in arguments)
        {
            request.Append('$').Append(Encoding.UTF8.GetByteCount(argument)).Append("\r\n").Append(argument).Append("\r\n");
        }

        await stream.WriteAsync(Encoding.UTF8.GetBytes(request.ToString()), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        return await ReadReplyAsync(cancellationToken);
    }

    private static string InfoField(string info, string name)
    {
        foreach (var line in info.Split("\r\n"))
        {
            if (line.StartsWith(name + ":", StringComparison.Ordinal))
            {
                return line[(name.Length + 1)..];
            }
        }

        throw new InvalidDataException($"INFO has no field '{name}'.");
    }

    private async Task<object?> ReadReplyAsync(CancellationToken cancellationToken)
    {
        var line = await ReadLineAsync(cancellationToken);
        var body = line[1..];
        switch (line[0])
        {
            case '+':
                return body;
            case '-':
                throw new InvalidOperationException($"Redis error: {body}");
            case ':':
                return long.Parse(body, CultureInfo.InvariantCulture);
            case '$':
                var length = int.Parse(body, CultureInfo.InvariantCulture);
                if (length < 0)
                {
                    return null;
                }

                var bytes = await ReadExactlyAsync(length + 2, cancellationToken);
                return Encoding.UTF8.GetString(bytes, 0, length);
            case '*':
                var count = int.Parse(body, CultureInfo.InvariantCulture);
                if (count < 0)
                {
                    return null;
                }

                var items = new object?[count];
                for (var i = 0; i < count; i++)
                {
                    items[i] = await ReadReplyAsync(cancellationToken);
                }

                return items;
            default:
                throw new InvalidDataException($"Not a RESP reply: '{line}'.");
        }
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf("\r\n"u8);
            if (newline >= 0)
            {
                var line = Encoding.UTF8.GetString(span[..newline]);
                _start += newline + 2;
                return line;
            }

            await FillAsync(cancellationToken);
        }
    }

    private async Task<byte[]> ReadExactlyAsync(int count, CancellationToken cancellationToken)
    {
        var result = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellationToken);
            }

            var take = Math.Min(count - copied, _end - _start);
            _buffer.AsSpan(_start, take).CopyTo(result.AsSpan(copied));
            _start += take;
            copied += take;
        }

        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            throw new InvalidDataException("A RESP line is longer than the client's buffer.");
        }

        var read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        if (read == 0)
        {
            throw new EndOfStreamException("The server closed the connection.");
        }

        _end += read;
    }
}
