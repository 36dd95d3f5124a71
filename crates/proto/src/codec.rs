//! The protobuf codec of every generated client and server: tonic-prost's,
//! except that a message that does not decode answers `INVALID_ARGUMENT`.
//!
//! tonic-prost answers `INTERNAL` for undecodable bytes, following the
//! gRPC status code guide's view of a broken peer. To a Samverkan server,
//! bytes that are not the request message are something the caller sent,
//! and `INTERNAL` is kept for faults of our own (issue #17). A client
//! decoding a response it cannot read answers the same code, with a
//! message that says which side's message it was.

use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};
use tonic_types::{ErrorDetails, StatusExt as _};

/// [`ProstCodec`] with decode errors answered `INVALID_ARGUMENT`.
#[derive(Debug, Clone)]
pub struct SamverkanCodec<T, U> {
    inner: ProstCodec<T, U>,
}

impl<T, U> Default for SamverkanCodec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
        }
    }
}

impl<T, U> Codec for SamverkanCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = InvalidAsArgument<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        InvalidAsArgument(self.inner.decoder())
    }
}

/// A [`ProstDecoder`] whose decode errors are `INVALID_ARGUMENT`.
#[derive(Debug, Clone)]
pub struct InvalidAsArgument<U>(ProstDecoder<U>);

impl<U: prost::Message + Default> Decoder for InvalidAsArgument<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.0.decode(buf).map_err(|s| {
            if s.code() == Code::Internal {
                let message = std::any::type_name::<U>()
                    .rsplit("::")
                    .next()
                    .unwrap_or("message");
                let details = ErrorDetails::with_error_info(
                    "INVALID_ARGUMENT",
                    crate::ERROR_DOMAIN,
                    [("message".to_owned(), message.to_owned())],
                );
                Status::with_error_details(
                    Code::InvalidArgument,
                    format!(
                        "the message is not a valid protobuf {message}: {}",
                        s.message()
                    ),
                    details,
                )
            } else {
                s
            }
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.0.buffer_settings()
    }
}
