// Prints one plain closing line ("jest: N passed, N failed, N skipped") that CI reads; suites that failed to
// run at all count as failures.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    console.log(
      `\njest: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped`,
    );
  }
}
module.exports = SummaryReporter;
