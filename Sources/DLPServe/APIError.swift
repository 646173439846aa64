// APIError.swift: errors as OpenAI's API returns them: an HTTP status and a JSON body
// {"error": {"message", "type", "param", "code"}}, plus Retry-After for 429 and 503.
import DLPLoRA
import Foundation
import Hummingbird

struct APIError: Error, CustomStringConvertible {
    var status: HTTPResponse.Status
    var type: String
    var message: String
    var param: String?
    var code: String?
    /// Seconds, for 429 and 503 responses.
    var retryAfter: Int?

    var description: String { "\(status.code) \(type): \(message)" }

    static func invalid(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: .badRequest, type: "invalid_request_error", message: message, param: param, code: code)
    }

    static func notFound(_ message: String, param: String? = "model", code: String = "model_not_found") -> APIError {
        APIError(status: .notFound, type: "invalid_request_error", message: message, param: param, code: code)
    }

    static func unavailable(_ message: String) -> APIError {
        APIError(status: .serviceUnavailable, type: "service_unavailable", message: message, code: "service_unavailable", retryAfter: 5)
    }

    /// The API's view of an error thrown below it: what a client did wrong is a 400 naming it; the
    /// scheduler's refusals are 429, 409, 503 or 504; anything else is a 500 with its description.
    static func from(_ error: Error) -> APIError {
        switch error {
        case let e as APIError: return e
        case is CancellationError:
            // the client went away (nginx's 499: nobody reads this response; it is counted in /metrics)
            return APIError(status: .init(code: 499, reasonPhrase: "Client Closed Request"), type: "cancelled",
                            message: "the request was cancelled", code: "cancelled")
        case let e as SchedulerError:
            switch e {
            case .queueFull: return APIError(status: .tooManyRequests, type: "rate_limit_error", message: e.description,
                                             code: "queue_full", retryAfter: 1)
            case .shuttingDown: return unavailable(e.description)
            case .timedOut: return APIError(status: .gatewayTimeout, type: "timeout_error", message: e.description, code: "timeout")
            case .adapterInUse, .routerAdapter: return APIError(status: .conflict, type: "invalid_request_error", message: e.description,
                                                                param: "lora_name", code: "adapter_in_use")
            case .stepFailed: return APIError(status: .internalServerError, type: "server_error", message: e.description, code: "internal_error")
            }
        case let e as AdapterError:
            if case .unknownAdapter = e { return notFound(e.description, param: "lora", code: "adapter_not_found") }
            return invalid(e.description, param: "lora")
        case let e as InferenceError:
            switch e {
            case .contextOverflow: return invalid(e.description, param: "max_tokens", code: "context_length_exceeded")
            case .tokenOutOfRange: return invalid(e.description, param: "prompt", code: "invalid_token")
            case .invalidRequest: return invalid(e.description)
            }
        case let e as GenerationError:
            return invalid(e.description, param: e == .emptyPrompt ? "prompt" : nil)
        case let e as ChatTemplateError:
            return invalid("the chat template failed on these messages: \(e)", param: "messages")
        case let e as TokenizerError:
            return invalid("\(e)", param: "prompt")
        default:
            return APIError(status: .internalServerError, type: "server_error", message: "\(error)", code: "internal_error")
        }
    }

    /// The JSON body.
    var body: [String: Any] {
        ["error": ["message": message, "type": type, "param": param ?? NSNull(), "code": code ?? NSNull()] as [String: Any]]
    }

    var response: Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONBody.encode(body))))
    }
}

/// JSON bodies written with Foundation (keys sorted, so responses are stable).
enum JSONBody {
    static func encode(_ object: Any) -> [UInt8] {
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])).map(Array.init) ?? Array("{}".utf8)
    }

    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: encode(object))))
    }
}
