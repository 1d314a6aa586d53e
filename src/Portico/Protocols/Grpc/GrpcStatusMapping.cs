using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Portico.Protocols.Grpc;

/// gRPC status → HTTP status, as Envoy's transcoder and grpc-gateway map them.
internal static class GrpcStatusMapping
{
    /// 499 (client closed request) for CANCELLED; unknown and internal failures of the upstream are 502.
    public static int ToHttp(StatusCode code) => code switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.Cancelled => 499,
        _ => StatusCodes.Status502BadGateway,
    };
}
