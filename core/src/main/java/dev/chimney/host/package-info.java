/**
 * The host stack assembled. {@link dev.chimney.host.NetworkStack} puts an event loop, interfaces (port, MAC,
 * addresses, MTU, VLAN), routes, the IP layer ({@link dev.chimney.ip.IpStack}), TCP ({@link dev.chimney.tcp.TcpStack}),
 * the glue between them ({@link dev.chimney.tcp.TcpIpBinding}) and the socket layer ({@link
 * dev.chimney.socket.SocketStack}) together from a builder, for the simulator or for a real TAP device on its own
 * thread. {@link dev.chimney.host.VirtualNetwork} is the short path for embedding and tests: hosts on an in-memory
 * network in a few lines, each on its own loop thread in real time, or all on one simulator.
 *
 * {@snippet file="dev/chimney/examples/EchoExample.java" region="virtual-network"}
 */
package dev.chimney.host;
