/** `make bench`: prints medians and ratios against the targets. Not a test: it never fails on speed. */
import { measureLambdaBundles, printLambdaBundles } from './lambda-bundles';

printLambdaBundles(measureLambdaBundles());
