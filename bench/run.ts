/** `make bench`: prints medians and ratios against the targets. Not a test: it never fails on speed. */
import { measureEndToEnd, printEndToEnd } from './e2e';
import { measureLambdaBundles, printLambdaBundles } from './lambda-bundles';

printLambdaBundles(measureLambdaBundles());
printEndToEnd(await measureEndToEnd());
