/**
 * Built-in applications that run on a stack's event loop with no threads of their own, over the non-blocking
 * {@link dev.chimney.socket.TcpChannel} API: echo (RFC 862), discard (RFC 863), character generator (RFC 864) and a
 * small static-file HTTP/1.1 server.
 */
package dev.chimney.apps;
