//! The one mapping between [`ErrorCode`] and `tonic::Code`, both ways.

use crate::v1::ErrorCode;

/// The gRPC status code that carries a failure of this kind.
pub fn error_code_to_grpc(code: ErrorCode) -> tonic::Code {
    match code {
        ErrorCode::InvalidArguments | ErrorCode::ConfirmationRequired => {
            tonic::Code::InvalidArgument
        }
        ErrorCode::NotFound | ErrorCode::UnknownTool => tonic::Code::NotFound,
        ErrorCode::Unauthenticated => tonic::Code::Unauthenticated,
        ErrorCode::PermissionDenied => tonic::Code::PermissionDenied,
        ErrorCode::Conflict => tonic::Code::Aborted,
        ErrorCode::Unavailable | ErrorCode::Backend => tonic::Code::Unavailable,
        ErrorCode::DeadlineExceeded => tonic::Code::DeadlineExceeded,
        ErrorCode::Cancelled => tonic::Code::Cancelled,
        ErrorCode::Internal | ErrorCode::Unspecified => tonic::Code::Internal,
    }
}

/// The failure kind a gRPC status stands for, when a call failed at the transport level.
pub fn grpc_to_error_code(code: tonic::Code) -> ErrorCode {
    match code {
        tonic::Code::InvalidArgument | tonic::Code::OutOfRange => ErrorCode::InvalidArguments,
        tonic::Code::NotFound => ErrorCode::NotFound,
        tonic::Code::Unauthenticated => ErrorCode::Unauthenticated,
        tonic::Code::PermissionDenied => ErrorCode::PermissionDenied,
        tonic::Code::Aborted | tonic::Code::AlreadyExists | tonic::Code::FailedPrecondition => {
            ErrorCode::Conflict
        }
        tonic::Code::Unavailable | tonic::Code::ResourceExhausted => ErrorCode::Unavailable,
        tonic::Code::DeadlineExceeded => ErrorCode::DeadlineExceeded,
        tonic::Code::Cancelled => ErrorCode::Cancelled,
        _ => ErrorCode::Internal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_survives_the_round_trip_up_to_its_class() {
        for code in [
            ErrorCode::InvalidArguments,
            ErrorCode::NotFound,
            ErrorCode::Unauthenticated,
            ErrorCode::PermissionDenied,
            ErrorCode::Conflict,
            ErrorCode::Unavailable,
            ErrorCode::DeadlineExceeded,
            ErrorCode::Cancelled,
            ErrorCode::Internal,
        ] {
            assert_eq!(grpc_to_error_code(error_code_to_grpc(code)), code);
        }
    }
}
