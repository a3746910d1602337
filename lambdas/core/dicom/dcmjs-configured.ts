/**
 * dcmjs, configured once for a server: its validation logger reports ambiguous dictionary VRs
 * ("xs", "ox") and lenient reads as errors on the console; Strata checks structure itself
 * (part10-structure.ts), so that noise is silenced and real failures surface as exceptions.
 */
import dcmjs from 'dcmjs';

dcmjs.log.setLevel('error');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

export default dcmjs;
