import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import OnrampConnectorKit
import OnrampCore

/// An in-process HTTP CONNECT proxy on loopback that pins a tenant's outbound connections to the address
/// the egress policy checked: it resolves a CONNECT target once, refuses it (403) unless every address it
/// resolves to is allowed, and connects to exactly that address. TLS runs end to end through the tunnel, so
/// the client's certificate checks are unchanged; a DNS answer that changes after the check changes nothing.
public struct EgressProxy: Sendable {
    public let port: Int
    let channel: EventLoopFuture<any Channel>

    /// Why the proxy refused its last tunnels (it answers a client only a status line).
    public static let refusals = RefusalLog()

    /// Listens on 127.0.0.1 (an ephemeral port, bound before this returns) for CONNECT requests checked
    /// against `policy`; it serves for the life of the process.
    public static func serve(policy: EgressPolicy,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws -> EgressProxy {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw OnrampError("egress.proxy", "cannot open the egress proxy's socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard ok else {
            close(fd)
            throw OnrampError("egress.proxy", "cannot listen for the egress proxy on 127.0.0.1")
        }
        let channel = ServerBootstrap(group: group)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(TunnelRequestHandler(policy: policy))
                }
            }
            .withBoundSocket(fd)
        return EgressProxy(port: Int(UInt16(bigEndian: address.sin_port)), channel: channel)
    }
}

/// Why the proxy refused its tunnels, so the client's error can say so (the client sees only a status): the
/// last one (what a transport error shows: a worker process makes one run's requests) and the last per target.
public final class RefusalLog: Sendable {
    private typealias State = (last: (text: String, byPolicy: Bool)?, byTarget: [String: String])
    private let state = NIOLockedValueBox<State>((nil, [:]))

    public init() {}

    public func record(_ target: String, _ why: String, byPolicy: Bool) {
        state.withLockedValue { s in
            s.last = ("\(target): \(why)", byPolicy)
            if s.byTarget.count >= 256 { s.byTarget.removeAll() }
            s.byTarget[target] = why
        }
    }

    /// Why the last tunnel to `target` (`host:port`, IPv6 without brackets) was refused.
    public func reason(for target: String) -> String? { state.withLockedValue { $0.byTarget[target] } }

    /// The last refusal as a client's transport error says it.
    public var description: String {
        guard let (text, byPolicy) = state.withLockedValue({ $0.last }) else {
            return "the egress proxy refused the connection"
        }
        return byPolicy ? "refused by the egress policy when connecting (\(text))" : text
    }
}

/// Reads one `CONNECT host:port HTTP/1.1` head, pins the host, opens the tunnel and glues the two channels.
final class TunnelRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxHead = 8192
    let policy: EgressPolicy
    var head = ByteBuffer()
    var started = false

    init(policy: EgressPolicy) { self.policy = policy }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        head.writeBuffer(&bytes)
        guard !started else { return }
        let view = head.readableBytesView
        guard let end = view.firstRange(of: [13, 10, 13, 10]) else {
            if head.readableBytes > Self.maxHead { refuse(context, status: "431 Request Header Fields Too Large") }
            return
        }
        started = true
        let headText = String(decoding: view[view.startIndex..<end.lowerBound], as: UTF8.self)
        head.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
        guard let target = Self.target(headText) else { return refuse(context, status: "400 Bad Request") }
        context.channel.setOption(.autoRead, value: false).whenComplete { _ in }
        let policy = self.policy
        let loop = context.eventLoop
        let pinned = loop.makeFutureWithTask {
            try await policy.pin(host: target.host, field: "egress")
        }
        pinned.flatMap { address -> EventLoopFuture<any Channel> in
            guard let socket = try? SocketAddress(ipAddress: address.text, port: target.port) else {
                return loop.makeFailedFuture(ChannelError.badInterfaceAddressFamily)
            }
            return ClientBootstrap(group: loop).connectTimeout(.seconds(10)).connect(to: socket)
        }.assumeIsolated().whenComplete { result in
            switch result {
            case .success(let peer): self.glue(context, to: peer)
            case .failure(let error):
                let policyError = error as? OnrampError
                let why = policyError?.message ?? TransportErrorText.describe(error)
                EgressProxy.refusals.record("\(target.host):\(target.port)", why, byPolicy: policyError != nil)
                self.refuse(context, status: error is OnrampError ? "403 Forbidden" : "502 Bad Gateway")
            }
        }
    }

    func glue(_ context: ChannelHandlerContext, to peer: any Channel) {
        guard context.channel.isActive else {  // the client went away while the host was resolved
            peer.close(promise: nil)
            return
        }
        let (local, remote) = GlueHandler.matchedPair()
        let leftover = head
        head = ByteBuffer()
        let established = ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n")
        context.writeAndFlush(wrapOutboundOut(established), promise: nil)
        do {
            try context.pipeline.syncOperations.addHandler(local)
            try peer.pipeline.syncOperations.addHandler(remote)
        } catch {
            peer.close(promise: nil)
            context.close(promise: nil)
            return
        }
        if leftover.readableBytes > 0 { peer.writeAndFlush(leftover, promise: nil) }
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        context.channel.setOption(.autoRead, value: true).whenComplete { _ in }
        context.read()
    }

    func refuse(_ context: ChannelHandlerContext, status: String) {
        started = true
        let answer = "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    /// `host` and `port` of `CONNECT host:port HTTP/1.x` (IPv6 in brackets), nil for anything else.
    static func target(_ head: String) -> (host: String, port: Int)? {
        guard let line = head.split(separator: "\r\n", maxSplits: 1, omittingEmptySubsequences: false).first else {
            return nil
        }
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[0] == "CONNECT", parts[2].hasPrefix("HTTP/1."),
              let colon = parts[1].lastIndex(of: ":"), let port = Int(parts[1][parts[1].index(after: colon)...]),
              (1...65535).contains(port) else { return nil }
        var host = String(parts[1][..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, host.utf8.count <= 253 else { return nil }
        return (host, port)
    }
}
