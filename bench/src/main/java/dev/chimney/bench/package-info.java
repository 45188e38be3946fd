/** JMH benchmarks and the end-to-end bench harness; each prints its figure beside a baseline from the same run. */
package dev.chimney.bench;
