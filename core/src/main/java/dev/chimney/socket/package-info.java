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
 * {@link dev.chimney.socket.SocketStack} ties both to one {@link dev.chimney.tcp.TcpStack} and its loop.
 */
package dev.chimney.socket;
