/** `make bench`: prints medians and ratios against the targets. Not a test: it never fails on speed. */
import { measureEndToEnd, printEndToEnd } from './e2e';
import { measureEncodeSpeed, printEncodeSpeed } from './extract-encode';
import { buildWeb, describeWebBuild } from '../scripts/build-web';
import { measureLambdaBundles, printLambdaBundles } from './lambda-bundles';
import { measureModels, printModels } from './models';
import { measureTwoSpeakers, printTwoSpeakers } from './two-speaker';

printLambdaBundles(measureLambdaBundles());
console.log(`\n${describeWebBuild(await buildWeb())}`);
printEncodeSpeed(await measureEncodeSpeed());
printModels(await measureModels());
printEndToEnd(await measureEndToEnd());
printTwoSpeakers(await measureTwoSpeakers());
