/**
 * The application API over the TCP engine.
 *
 * <p>Two forms share one loop-side core:
 * <ul>
 *   <li>Loop-side, non-blocking: {@link dev.chimney.socket.TcpChannel} with readiness callbacks on a
 *       {@link dev.chimney.socket.TcpChannelHandler}, and {@link dev.chimney.socket.TcpChannelServer} for passive
 *       opens. Handlers run on the stack's event loop, never block, and cost no extra threads (the built-in apps in
 *       {@code dev.chimney.apps} use this form).</li>
 *   <li>Blocking, for application threads (virtual threads welcome): {@link dev.chimney.socket.TcpSocket} and
 *       {@link dev.chimney.socket.TcpServerSocket}. Every call is a command handed to the loop with
 *       {@link dev.chimney.runtime.EventLoop#execute}; the loop copies bytes between the caller's array and the
 *       engine's buffers and completes the command; the caller parks with {@link
 *       java.util.concurrent.locks.LockSupport} until then (no {@code synchronized}, so virtual threads never pin,
 *       and no busy waiting). Time-outs are timers on the loop, so they follow the loop's clock.</li>
 * </ul>
 * {@link dev.chimney.socket.SocketStack} ties both to one {@link dev.chimney.tcp.TcpStack} and its loop; a host
 * stack hands out its own ({@code NetworkStack.sockets()}, through {@link dev.chimney.socket.SocketHost}).
 *
 * <p>Blocking sockets and the simulator: a blocking call waits until the loop completes it, so it needs a thread
 * that runs the loop in real time. Under a {@link dev.chimney.runtime.Simulator} nothing turns the loop while the
 * caller waits, so blocking calls there throw {@link java.lang.IllegalStateException} at once (as they do on a
 * real-time loop not started yet); simulated programs use the loop-side channels, which never wait, and drive the
 * simulator until they are done. Addresses: the {@code java.net} types ({@link java.net.InetSocketAddress}) are
 * accepted wherever an endpoint is given, beside {@link dev.chimney.wire.IpAddress} and a port; no names are
 * resolved.
 */
package dev.chimney.socket;
