package io.tributary.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test class whose methods take a {@link org.apache.beam.sdk.testing.TestPipeline} parameter.
 *
 * <p>The pipeline's runner comes from the {@code beamTestPipelineOptions} system property: the Direct
 * runner by default, embedded Flink in the build's {@code flink} execution. Classes carrying this
 * annotation are tagged {@value #RUNNER_TAG} and therefore run on both.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(TestPipelineExtension.class)
@Tag(BeamTest.RUNNER_TAG)
public @interface BeamTest {
  /** The tag of tests that run on every runner of the build. */
  String RUNNER_TAG = "runner";
}
