/**
 * Built-in applications that run on a stack's event loop with no threads of their own, over the non-blocking
 * {@link dev.chimney.socket.TcpChannel} API: echo (RFC 862), discard (RFC 863), character generator (RFC 864), a
 * small static-file HTTP/1.1 server and a server for the iperf3 client.
 */
package dev.chimney.apps;
