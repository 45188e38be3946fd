package dev.chimney.chimney.conformance;

/** The last section of the suite's chain: concrete targets extend this. */
abstract class AllSections extends MovesConformance {
}
