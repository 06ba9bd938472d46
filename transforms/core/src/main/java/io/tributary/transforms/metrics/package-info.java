/**
 * Reading Beam counters of a pipeline result. Artifact {@code tributary-core}.
 */
package io.tributary.transforms.metrics;
