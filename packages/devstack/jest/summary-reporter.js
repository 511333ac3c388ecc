// Prints one plain closing line ("jest: N passed, N failed, N skipped") that CI reads; suites that failed to
// run at all count as failures. Above it, each failure in short (its test, the start of its message and its first
// two stack frames in our code), so the end of a long log says what failed even when the scenarios' summaries fill the
// middle.
const path = require('node:path');
const { stripVTControlCharacters } = require('node:util');

const MESSAGE_LINES = 12;
const STACK_FRAME = /^\s+at /;

function shortMessage(message) {
  const lines = stripVTControlCharacters(String(message ?? '')).split('\n');
  const text = lines.filter((line) => line.trim() !== '' && !STACK_FRAME.test(line));
  const ours = lines.filter((line) => STACK_FRAME.test(line) && !line.includes('node_modules'));
  return [...text.slice(0, MESSAGE_LINES), ...ours.slice(0, 2).map((line) => line.trim())].map(
    (line) => `    ${line.trimEnd()}`,
  );
}

function failures(results, rootDir) {
  const lines = [];
  for (const file of results.testResults) {
    const where = path.relative(rootDir, file.testFilePath);
    if (file.testExecError) {
      const { message, stack } = file.testExecError;
      lines.push(`  ${where} failed outside its tests:`, ...shortMessage(message || stack));
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
    try {
      const failing = failures(results, this.rootDir);
      if (failing.length > 0) console.log(['\nfailed:', ...failing].join('\n'));
    } catch (error) {
      console.log(`\nfailed: (could not list the failures: ${error})`);
    }
    console.log(
      `\njest: ${results.numPassedTests} passed, ${failed} failed, ${results.numPendingTests} skipped`,
    );
  }
}
module.exports = SummaryReporter;
