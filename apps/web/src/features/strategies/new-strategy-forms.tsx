'use client';

import { createFromExampleInput, type StrategyView, uploadStrategyInput } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { TextField } from '@/components/ui/text-field';
import { useTRPC } from '@/engine/react';
import { describeStrategyProblem } from './strategy-errors';
import { StrategyProblemBox } from './strategy-problem-box';
import { bytesToBase64, wasmHeaderProblem } from './wasm-base64';

/** Puts a created or re-uploaded strategy into the list at once, then refetches it. */
function useStrategyCreated(onCreated: (strategy: StrategyView) => void) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return async (strategy: StrategyView) => {
    queryClient.setQueryData(trpc.strategies.list.queryKey(), (list) => [
      strategy,
      ...(list ?? []).filter((s) => s.id !== strategy.id),
    ]);
    onCreated(strategy);
    await queryClient.invalidateQueries(trpc.strategies.list.queryFilter());
  };
}

/** Picks one of the SDK's example strategies and stores it under a name of the tenant's choosing. */
export function NewFromExampleForm({ onCreated }: { onCreated: (strategy: StrategyView) => void }) {
  const trpc = useTRPC();
  const examples = useQuery(trpc.strategies.examples.queryOptions(undefined, { staleTime: 10 * 60_000 }));
  const [example, setExample] = useState('');
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const created = useStrategyCreated(onCreated);
  const create = useMutation(trpc.strategies.createFromExample.mutationOptions({ onSuccess: created }));
  const list = examples.data ?? [];
  const chosen = list.find((e) => e.name === example) ?? list[0];

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!chosen) return;
    const input = { name: name.trim() || chosen.title, example: chosen.name };
    const checked = createFromExampleInput.safeParse(input);
    setNameError(checked.success ? undefined : 'Give it a name of 1 to 60 characters.');
    if (checked.success) create.mutate(checked.data);
  }

  if (examples.isPending) return <p className="text-sm text-zinc-400">Loading examples…</p>;
  if (examples.isError)
    return <StrategyProblemBox problem={describeStrategyProblem(examples.error)} testId="example-error" />;
  if (!chosen) return <p className="text-sm text-zinc-400">This engine offers no example strategies.</p>;

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="New strategy from an example" noValidate>
      <Select
        label="Example"
        data-testid="example-select"
        value={chosen.name}
        onChange={(e) => setExample(e.target.value)}
      >
        {list.map((e) => (
          <option key={e.name} value={e.name}>
            {e.title}
          </option>
        ))}
      </Select>
      <p className="text-xs leading-relaxed text-zinc-400">{chosen.description}</p>
      <TextField
        label="Name"
        value={name}
        placeholder={chosen.title}
        maxLength={60}
        onChange={(e) => setName(e.target.value)}
        error={nameError}
        data-testid="example-name"
      />
      {create.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(create.error)} testId="example-error" />
      )}
      <div className="flex justify-end">
        <Button type="submit" size="sm" disabled={create.isPending} data-testid="example-create">
          {create.isPending ? 'Creating…' : 'Create strategy'}
        </Button>
      </div>
    </form>
  );
}

/**
 * Uploads a .wasm the person built. The engine validates it (imports, exports, memory, size for the
 * tier) and, when it refuses, its reason is shown word for word: it names the offending import or limit.
 * Uploading under an existing strategy's name adds a version to it.
 */
export function UploadStrategyForm({
  onCreated,
  suggestedName,
}: {
  onCreated: (strategy: StrategyView) => void;
  suggestedName: string;
}) {
  const trpc = useTRPC();
  const [fileError, setFileError] = useState<string | undefined>();
  const [nameError, setNameError] = useState<string | undefined>();
  const created = useStrategyCreated(onCreated);
  const upload = useMutation(trpc.strategies.upload.mutationOptions({ onSuccess: created }));

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    upload.reset();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setFileError('Choose the .wasm file your build produced.');
      return;
    }
    const bytes = new Uint8Array(await file.arrayBuffer());
    const headerProblem = wasmHeaderProblem(bytes);
    setFileError(headerProblem ?? undefined);
    if (headerProblem) return;
    const name = String(form.get('name') ?? '').trim() || file.name.replace(/\.wasm$/i, '');
    const description = String(form.get('description') ?? '').trim();
    const checked = uploadStrategyInput.safeParse({
      name,
      wasmBase64: bytesToBase64(bytes),
      ...(description ? { description } : {}),
    });
    if (!checked.success) {
      const issue = checked.error.issues[0];
      if (issue?.path[0] === 'wasmBase64')
        setFileError('The module is larger than any tier allows (16 MiB).');
      else setNameError('Give it a name of 1 to 60 characters.');
      return;
    }
    setNameError(undefined);
    upload.mutate(checked.data);
  }

  return (
    <form onSubmit={submit} className="space-y-3" aria-label="Upload a WebAssembly strategy" noValidate>
      <div>
        <label htmlFor="upload-file" className="mb-1.5 block text-sm font-medium text-zinc-200">
          Module (.wasm)
        </label>
        <input
          id="upload-file"
          name="file"
          type="file"
          accept=".wasm,application/wasm"
          data-testid="upload-file"
          aria-invalid={fileError ? true : undefined}
          className="block w-full text-sm text-zinc-300 file:mr-3 file:rounded-md file:border file:border-zinc-700 file:bg-zinc-900 file:px-3 file:py-1.5 file:text-xs file:font-medium file:text-zinc-100 hover:file:bg-zinc-800"
          onChange={() => {
            setFileError(undefined);
            upload.reset();
          }}
        />
        {fileError && <p className="mt-1 text-xs text-rose-300">{fileError}</p>}
      </div>
      <TextField
        label="Name"
        name="name"
        defaultValue={suggestedName}
        maxLength={60}
        hint="An existing strategy's name adds a new version to it"
        error={nameError}
        data-testid="upload-name"
      />
      <TextField label="Description" name="description" maxLength={500} placeholder="Optional" />
      {upload.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(upload.error)} testId="upload-error" />
      )}
      <div className="flex justify-end">
        <Button type="submit" size="sm" disabled={upload.isPending} data-testid="upload-submit">
          {upload.isPending ? 'Checking module…' : 'Upload'}
        </Button>
      </div>
    </form>
  );
}
