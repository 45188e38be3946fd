/**
 * The host stack assembled: {@link dev.chimney.host.NetworkStack} puts an event loop, interfaces (port, MAC,
 * addresses, MTU, VLAN), routes, the IP layer ({@link dev.chimney.ip.IpStack}), TCP ({@link dev.chimney.tcp.TcpStack})
 * and the glue between them ({@link dev.chimney.tcp.TcpIpBinding}) together from a builder, for the simulator or for
 * a real TAP device on its own thread.
 */
package dev.chimney.host;
