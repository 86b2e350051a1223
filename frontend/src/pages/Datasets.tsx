import { useState, type FormEvent } from 'react';
import { api, ApiError, firstLines, listAll, type Dataset, type ListResponse } from '../api';
import { age, Empty, ErrorBox, Field, Loading, useAction, useAsync } from '../components/ui';

/** The line-level errors of a rejected upload (`/file/line/<n>` pointers), in line order. */
export function lineErrors(error: unknown): { line: number; detail: string }[] {
  if (!(error instanceof ApiError)) return [];
  return error.errors
    .map((e) => ({ m: /^\/file\/line\/(\d+)$/.exec(e.pointer), detail: e.detail }))
    .filter((e) => e.m)
    .map((e) => ({ line: Number(e.m![1]), detail: e.detail }))
    .sort((a, b) => a.line - b.line);
}

function Upload({ onDone }: { onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [purpose, setPurpose] = useState('prompts');
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const [done, setDone] = useState<Dataset | null>(null);

  function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setDone(null);
    run(async () => {
      const form = new FormData();
      form.append('file', file);
      form.append('purpose', purpose);
      if (name.trim()) form.append('name', name.trim());
      setDone(await api.post<Dataset>('/v1/datasets', form));
      onDone();
    });
  }
  const lines = lineErrors(error);
  const fieldErrors = error instanceof ApiError ? error.byPointer() : {};
  return (
    <form onSubmit={submit} aria-label="Upload a dataset" className="card">
      <h2>Upload</h2>
      <div className="row">
        <Field label="JSONL file" error={fieldErrors['/file']}>
          {(p) => <input {...p} type="file" accept=".jsonl,.ndjson,.json,application/x-ndjson" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
        </Field>
        <Field label="Purpose" help="corpus: {text}; prompts: {prompt, …}; preferences: {prompt, chosen, rejected}; sft: {prompt, completion} or {messages: [{role, content}, …]}" error={fieldErrors['/purpose']}>
          {(p) => (
            <select {...p} value={purpose} onChange={(e) => setPurpose(e.target.value)}>
              <option>prompts</option>
              <option>corpus</option>
              <option>preferences</option>
              <option>sft</option>
            </select>
          )}
        </Field>
        <Field label="Name" help="Optional; the file name by default." error={fieldErrors['/name']}>
          {(p) => <input {...p} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
      </div>
      <button type="submit" disabled={!file || busy}>
        {busy ? 'Uploading…' : 'Upload'}
      </button>
      {done && <p role="status">Uploaded <code>{done.id}</code>: {done.lines} lines.</p>}
      {lines.length > 0 ? (
        <div className="error-box" role="alert">
          <strong>The file was rejected.</strong> Fix these lines and upload again:
          <ul className="line-errors">
            {lines.map((l) => (
              <li key={l.line}>
                <strong>Line {l.line}</strong>: {l.detail}
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <ErrorBox error={error} title="Upload failed" hideFieldErrors={Object.keys(fieldErrors).every((k) => k === '/file' || k === '/purpose' || k === '/name')} />
      )}
    </form>
  );
}

function Generate({ onDone }: { onDone: () => void }) {
  const [digits, setDigits] = useState('2');
  const { busy, error, run } = useAction();
  function submit(e: FormEvent) {
    e.preventDefault();
    run(async () => {
      await api.post<ListResponse<Dataset>>('/v1/datasets/generate', { generator: 'arithmetic', digits: Number(digits) });
      onDone();
    });
  }
  const errs = error instanceof ApiError ? error.byPointer() : {};
  return (
    <form onSubmit={submit} aria-label="Generate the arithmetic task" className="card">
      <h2>Generate</h2>
      <p className="muted">The demo's arithmetic task: a corpus, train prompts and held-out eval prompts.</p>
      <div className="row">
        <Field label="Digits" error={errs['/digits']}>
          {(p) => <input {...p} inputMode="numeric" value={digits} onChange={(e) => setDigits(e.target.value)} />}
        </Field>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Generating…' : 'Generate datasets'}
      </button>
      <ErrorBox error={error} title="Generation failed" hideFieldErrors />
    </form>
  );
}

function Preview({ dataset }: { dataset: Dataset }) {
  const rows = useAsync((signal) => firstLines(`/v1/datasets/${dataset.id}/content`, 5, signal), [dataset.id]);
  if (rows.loading && !rows.data) return <Loading what="Loading the first rows" />;
  if (rows.error) return <ErrorBox error={rows.error} title="Could not read the dataset" />;
  const parsed = (rows.data ?? []).map((l) => JSON.parse(l) as Record<string, unknown>);
  const cols = dataset.fields.length ? dataset.fields : Object.keys(parsed[0] ?? {});
  return (
    <div className="table-wrap preview">
      <table aria-label={`First rows of ${dataset.name}`}>
        <thead>
          <tr>
            <th>#</th>
            {cols.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {parsed.map((r, i) => (
            <tr key={i}>
              <td>{i + 1}</td>
              {cols.map((c) => (
                <td key={c}>
                  <code>{typeof r[c] === 'string' ? (r[c] as string) : JSON.stringify(r[c])}</code>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Datasets() {
  const list = useAsync(() => listAll<Dataset>('/v1/datasets').then((d) => d.reverse()), []);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <section>
      <h1>Datasets</h1>
      <div className="cards">
        <Upload onDone={list.reload} />
        <Generate onDone={list.reload} />
      </div>
      <h2>Your datasets</h2>
      <ErrorBox error={list.error} title="Could not load datasets" />
      {list.loading && !list.data ? (
        <Loading what="Loading datasets" />
      ) : list.data && list.data.length === 0 ? (
        <Empty>No datasets yet: upload a JSONL file or generate the arithmetic task.</Empty>
      ) : (
        list.data && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Purpose</th>
                  <th>Lines</th>
                  <th>Fields</th>
                  <th>Created</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {list.data.map((d) => (
                  <DatasetRow key={d.id} d={d} open={open === d.id} toggle={() => setOpen(open === d.id ? null : d.id)} />
                ))}
              </tbody>
            </table>
          </div>
        )
      )}
    </section>
  );
}

function DatasetRow({ d, open, toggle }: { d: Dataset; open: boolean; toggle: () => void }) {
  return (
    <>
      <tr>
        <td>
          {d.name} <code>{d.id}</code>
        </td>
        <td>{d.purpose}</td>
        <td>{d.lines}</td>
        <td>{d.fields.join(', ')}</td>
        <td>{age(d.created_at)}</td>
        <td>
          <button type="button" className="link" aria-expanded={open} onClick={toggle}>
            {open ? 'Hide preview' : 'Preview'}
          </button>
        </td>
      </tr>
      {open && (
        <tr>
          <td colSpan={6}>
            <Preview dataset={d} />
          </td>
        </tr>
      )}
    </>
  );
}
