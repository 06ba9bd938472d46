package io.tributary.transforms.errors;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import io.tributary.proto.common.Failure;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FailuresTest {
  @Test
  void aReasonQuotingAnUnpairedSurrogateReadsTheSameAfterEncoding() throws Exception {
    byte[] payload = "{\"op\":\"\\ud800\"}".getBytes(StandardCharsets.UTF_8);
    Failure f = Failures.of("Parse", "unsupported op '\ud800' beside a pair \ud83d\ude00", payload, 7);
    assertThat(f.getReason(), is("unsupported op '\\ud800' beside a pair \ud83d\ude00"));
    // The encoded record decodes to the same reason and the input's bytes, untouched.
    Failure decoded = Failure.parseFrom(f.toByteArray());
    assertThat(decoded, is(f));
    assertThat(decoded.getPayload().toByteArray(), is(payload));
  }

  @Test
  void wellFormedReasonsAreKeptAsTheyAre() {
    assertThat(Failures.of("Parse", "missing field 'id' in café", new byte[0]).getReason(), is("missing field 'id' in café"));
  }
}
