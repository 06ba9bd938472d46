package io.tributary.pipelines.fraud;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.greaterThan;

import io.tributary.pipelines.io.Synthetic;
import io.tributary.proto.fraud.Transaction;
import io.tributary.testing.BeamTest;
import io.tributary.transforms.fraud.FraudOracle;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.junit.jupiter.api.Test;

@BeamTest
class FraudPipelineTest {
  @Test
  void generatedTransactionsGiveTheOraclesAlertsAndFeatures(TestPipeline p) {
    TransactionGenerator generator = new TransactionGenerator(17, 1_700_000_000_000L, 3, 25, 0.02, 2000);
    List<Transaction> transactions = new ArrayList<>();
    for (long i = 0; i < 3000; i++) {
      transactions.add(generator.at(i));
    }
    FraudOptions options =
        PipelineOptionsFactory.fromArgs("--windowSize=30m", "--threshold=2.5").as(FraudOptions.class);
    FraudOracle oracle =
        FraudOracle.inOrder(transactions, 30 * 60_000, 2.5, 3, FraudPipeline.score(options).rule());

    assertThat("the input exercises the rule", oracle.alerts.size(), greaterThan(5));

    FraudPipeline.Outputs outputs =
        FraudPipeline.build(p.apply(Synthetic.bounded(generator, 3000)), options);
    PAssert.that(outputs.alerts()).containsInAnyOrder(oracle.alerts);
    PAssert.that(outputs.scored()).containsInAnyOrder(oracle.scored);
    PAssert.that(outputs.failures()).empty();
    p.run().waitUntilFinish();
  }
}
