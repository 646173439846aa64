// DisconnectWatcher.swift: tells a request that its client went away. Hummingbird keeps half-closed
// connections open (allowRemoteHalfClosure), so a client that disconnects while it waits for a whole
// (not streamed) response is only noticed here: one watcher per connection, first in its pipeline, hears
// the input close or the channel go inactive and cancels the request being answered.
import NIOConcurrencyHelpers
import NIOCore

final class DisconnectWatcher: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny

    private let lock = NIOLock()
    private var current: (@Sendable () -> Void)?
    private var disconnected = false

    /// The watcher of `channel`, added the first time it is asked for.
    static func of(_ channel: any Channel) async throws -> DisconnectWatcher {
        if let existing = try? await channel.pipeline.handler(type: DisconnectWatcher.self).get() { return existing }
        let watcher = DisconnectWatcher()
        try await channel.pipeline.addHandler(watcher, position: .first).get()
        return watcher
    }

    /// Calls `cancel` when the client disconnects (at once if it already has), until `clear()`.
    func watch(_ cancel: @escaping @Sendable () -> Void) {
        let gone = lock.withLock { () -> Bool in
            if !disconnected { current = cancel }
            return disconnected
        }
        if gone { cancel() }
    }

    /// The request is answered: nothing to cancel any more.
    func clear() { lock.withLock { current = nil } }

    private func disconnect() {
        let cancel = lock.withLock { () -> (@Sendable () -> Void)? in
            disconnected = true
            defer { current = nil }
            return current
        }
        cancel?()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { disconnect() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disconnect()
        context.fireChannelInactive()
    }
}
