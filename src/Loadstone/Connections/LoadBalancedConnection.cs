using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Loadstone;

/// <summary>
/// A connection to one endpoint of a service, opened by <see cref="ConnectionBalancer.ConnectAsync(CancellationToken)"/>.
/// Read and write it like any <see cref="Stream"/> (it is the TLS stream when TLS is on); dispose it to close the
/// connection. While open it counts as one in-flight lease on its endpoint, so least-requests strategies balance open
/// connections.
/// </summary>
/// <remarks>
/// Dispose every connection: disposal ends its lease. A read or write that fails with an <see cref="IOException"/>
/// (a reset, a broken pipe) charges its endpoint one connection failure for passive health when the connection closes;
/// <see cref="ReportFailure"/> does the same for failures only the protocol sees (an unexpected end of stream).
/// </remarks>
public sealed class LoadBalancedConnection : Stream
{
    private readonly ConnectionBalancer _owner;
    private readonly Stream _stream;
    private readonly EndpointLease _hold;
    private readonly long _openedAt;
    private int _failed;
    private int _closing;

    internal LoadBalancedConnection(ConnectionBalancer owner, EndpointState state, Socket socket, Stream stream, SslStream? ssl, int attempts)
    {
        _owner = owner;
        _stream = stream;
        Socket = socket;
        SslStream = ssl;
        ConnectAttempts = attempts;
        State = state;
        Endpoint = state.Endpoint;

        // No service name: the hold stays out of the attempt metrics, which the connect attempt itself fed.
        _hold = new EndpointLease(state, owner.Pool.TimeProvider);
        _openedAt = owner.Pool.TimeProvider.GetTimestamp();
    }

    /// <summary>The logical service.</summary>
    public string ServiceName => _owner.ServiceName;

    /// <summary>The endpoint this connection goes to.</summary>
    public LoadBalancedEndpoint Endpoint { get; }

    /// <summary>The socket: for its addresses and options. Read and write through the connection, not the socket.</summary>
    public Socket Socket { get; }

    /// <summary>The TLS stream, or <see langword="null"/> for a plain TCP connection.</summary>
    public SslStream? SslStream { get; }

    /// <summary>How many attempts the connect took: 1 when the first endpoint tried accepted.</summary>
    public int ConnectAttempts { get; }

    /// <summary>
    /// <see langword="true"/> once the balancer closed this connection because its endpoint left the pool and the
    /// deregistration delay ended (<see cref="ConnectionBalancerOptions.CloseConnectionsOnDeregistration"/>).
    /// </summary>
    public bool ClosedOnDeregistration { get; private set; }

    /// <summary><see langword="true"/> once disposed (by its owner, or by the balancer on deregistration).</summary>
    public bool IsClosed => Volatile.Read(ref _closing) != 0;

    /// <inheritdoc />
    public override bool CanRead => _stream.CanRead;

    /// <inheritdoc />
    public override bool CanWrite => _stream.CanWrite;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanTimeout => _stream.CanTimeout;

    /// <inheritdoc />
    public override int ReadTimeout
    {
        get => _stream.ReadTimeout;
        set => _stream.ReadTimeout = value;
    }

    /// <inheritdoc />
    public override int WriteTimeout
    {
        get => _stream.WriteTimeout;
        set => _stream.WriteTimeout = value;
    }

    /// <summary>Not supported: a connection has no length.</summary>
    public override long Length => throw new NotSupportedException();

    /// <summary>Not supported: a connection has no position.</summary>
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    internal EndpointState State { get; }

    /// <summary>
    /// Marks the connection as failed, so its endpoint is charged one connection failure (passive health) when it
    /// closes: for failures only the protocol sees, such as the server closing mid-reply. Idempotent.
    /// </summary>
    public void ReportFailure() => Volatile.Write(ref _failed, 1);

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count)
    {
        try
        {
            return _stream.Read(buffer, offset, count);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _stream.Read(buffer);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        ValueTask<int> read;
        try
        {
            read = _stream.ReadAsync(buffer, cancellationToken);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }

        return read.IsCompletedSuccessfully ? read : AwaitRead(read);
    }

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count)
    {
        try
        {
            _stream.Write(buffer, offset, count);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        try
        {
            _stream.Write(buffer);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        ValueTask write;
        try
        {
            write = _stream.WriteAsync(buffer, cancellationToken);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }

        return write.IsCompletedSuccessfully ? write : AwaitWrite(write);
    }

    /// <inheritdoc />
    public override void Flush() => _stream.Flush();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken) => _stream.FlushAsync(cancellationToken);

    /// <summary>Not supported.</summary>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <summary>Not supported.</summary>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (BeginClose())
        {
            try
            {
                await _stream.DisposeAsync().ConfigureAwait(false);
            }
            finally
            {
                EndClose();
            }
        }

        GC.SuppressFinalize(this);
    }

    /// <summary>Closed by the balancer: the endpoint left the pool and its deregistration delay ended.</summary>
    internal void CloseOnDeregistration()
    {
        ClosedOnDeregistration = true;
        Dispose();
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && BeginClose())
        {
            try
            {
                _stream.Dispose();
            }
            finally
            {
                EndClose();
            }
        }

        base.Dispose(disposing);
    }

    private bool BeginClose() => Interlocked.Exchange(ref _closing, 1) == 0;

    private void EndClose()
    {
        var time = _owner.Pool.TimeProvider;
        var failed = Volatile.Read(ref _failed) != 0;

        // The hold ends without an outcome: a connection's lifetime is no latency sample. A failure is then charged as
        // an attempt of its own, so it counts towards outlier detection like a refused connect.
        _hold.Complete(RequestOutcome.Canceled);
        if (failed)
        {
            new EndpointLease(State, time).Complete(RequestOutcome.ConnectionFailure);
        }

        _owner.OnClosed(this, time.GetElapsedTime(_openedAt), failed);
    }

    // An error after the balancer or the owner began closing is the close itself, not the endpoint's fault.
    private void OnIoFailure()
    {
        if (Volatile.Read(ref _closing) == 0)
        {
            Volatile.Write(ref _failed, 1);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> AwaitRead(ValueTask<int> read)
    {
        try
        {
            return await read.ConfigureAwait(false);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitWrite(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (IOException)
        {
            OnIoFailure();
            throw;
        }
    }
}
