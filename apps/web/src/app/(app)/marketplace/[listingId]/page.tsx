import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ListingScreen } from '@/features/marketplace/listing-screen';
import { uuidParam } from '@/features/strategies/uuid-param';

export const metadata: Metadata = { title: 'Listing' };

export default async function ListingPage({
  params,
  searchParams,
}: {
  params: Promise<{ listingId: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const [{ listingId }, query] = await Promise.all([params, searchParams]);
  const id = uuidParam(listingId);
  if (!id) notFound();
  return <ListingScreen key={id} listingId={id} returnedFromCheckout={Boolean(query.checkout)} />;
}
