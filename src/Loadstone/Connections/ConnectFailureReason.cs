using System.Text;

namespace Loadstone;

/// <summary>Why a <see cref="ConnectionBalancer"/> could not open a connection.</summary>
public enum ConnectFailureReason
{
    /// <summary>The pool had no endpoint to try (see the inner <see cref="NoAvailableEndpointException"/>).</summary>
    NoAvailableEndpoint,

    /// <summary>Every attempt the connect budget allowed failed.</summary>
    AllAttemptsFailed,

    /// <summary>The connect deadline ran out before an attempt succeeded.</summary>
    DeadlineExceeded,
}
