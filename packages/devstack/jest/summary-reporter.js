// Prints one plain closing line ("jest: N passed, N failed, N skipped") that CI reads; suites that failed to
// run at all count as failures. Above it, each failure in short (its test and the start of its message without
// the stack), so the end of a long log says what failed even when the scenarios' summaries fill the middle.
const path = require('node:path');
const { stripVTControlCharacters } = require('node:util');

const MESSAGE_LINES = 12;

function shortMessage(message) {
  const lines = stripVTControlCharacters(message)
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^\s+at /.test(line));
  return lines.slice(0, MESSAGE_LINES).map((line) => `    ${line.trimEnd()}`);
}

function failures(results, rootDir) {
  const lines = [];
  for (const file of results.testResults) {
    const where = path.relative(rootDir, file.testFilePath);
    if (file.testExecError) {
      lines.push(`  ${where} did not run:`, ...shortMessage(file.testExecError.message));
    }
    for (const test of file.testResults.filter((t) => t.status === 'failed')) {
      lines.push(`  ${where} › ${test.fullName}`);
      for (const message of test.failureMessages) lines.push(...shortMessage(message));
    }
  }
  return lines;
}

class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const failing = failures(results, this.rootDir);
    if (failing.length > 0) console.log(['\nfailed:', ...failing].join('\n'));
    console.log(
      `\njest: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped`,
    );
  }
}
module.exports = SummaryReporter;
