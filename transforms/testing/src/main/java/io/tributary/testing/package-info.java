/**
 * Test harness for Beam transforms with JUnit 5: {@link io.tributary.testing.BeamTest} resolves a
 * {@code TestPipeline} (Direct, or another runner by system property), {@link
 * io.tributary.testing.Schedule} builds TestStreams, {@link io.tributary.testing.Diff} says what
 * differed. Artifact {@code tributary-testing} (test scope).
 */
package io.tributary.testing;
