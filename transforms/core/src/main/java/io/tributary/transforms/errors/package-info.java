/**
 * Failures: the one dead-letter record of every Tributary transform ({@code Failure}: the step,
 * the reason naming the bad field or value, the original payload, the event time), with its coder.
 * Artifact {@code tributary-core}.
 */
package io.tributary.transforms.errors;
