import { useState } from 'preact/hooks';
import { request } from '../../api/client';
import type { AuditVerifyQuery } from '../../api/generated';
import { AUDIT_VERIFY } from '../../api/operations';
import { formatTime } from '../runs/columns';
import { messageOf } from '../../api/message-of';

const STORAGE_KEY = 'runlog.lastAudit';
type Report = AuditVerifyQuery['auditVerify'];
interface LastAudit {
  at: number;
  report: Report;
}

function lastAudit(): LastAudit | null {
  try {
    return JSON.parse(window.localStorage.getItem(STORAGE_KEY) ?? 'null') as LastAudit | null;
  } catch {
    return null;
  }
}

/**
 * The log's verification (auditVerify: every hash, chain and Merkle tree against the signed checkpoints), run on
 * demand since it reads the whole log; its last result is remembered in this browser.
 */
export function AuditPanel() {
  const [last, setLast] = useState<LastAudit | null>(lastAudit);
  const [running, setRunning] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const verify = async () => {
    setRunning(true);
    setError(null);
    try {
      const data = await request<AuditVerifyQuery>(AUDIT_VERIFY);
      const result = { at: Date.now(), report: data.auditVerify };
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(result));
      setLast(result);
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setRunning(false);
    }
  };
  const report = last?.report;
  return (
    <section class="audit" data-testid="audit">
      <h2>Audit</h2>
      {report ? (
        <p class={report.ok ? 'ok' : 'error'}>
          {report.ok ? 'verified' : `${report.breakCount} breaks`}: {report.events.toLocaleString('en')}{' '}
          events in {report.streams.toLocaleString('en')} streams, {report.checkpointsChecked} checkpoints, at{' '}
          {formatTime(last.at)}
          {report.firstBreak
            ? ` — first: ${report.firstBreak.reason} in ${report.firstBreak.stream ?? report.firstBreak.topic}`
            : ''}
        </p>
      ) : (
        <p class="muted">not verified from this browser yet</p>
      )}
      {error ? <p class="error">{error}</p> : null}
      <button onClick={() => void verify()} disabled={running}>
        {running ? 'verifying…' : 'Verify the log'}
      </button>
    </section>
  );
}
