/** config.json: written by Terraform (web.tf) in AWS, served by the local gateway locally. */
export interface WebConfig {
  /** Base URL of the results API, without a trailing slash. */
  apiUrl: string;
  region: string;
  /** Link executions to the AWS console (off locally). */
  consoleLinks: boolean;
  maxUploadBytes: number;
  allowedExtensions: string[];
  auth: { kind: 'token' } | { kind: 'cognito'; domain: string; clientId: string; redirectUri: string };
}

export async function loadConfig(): Promise<WebConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status}).`);
  const config = (await response.json()) as WebConfig;
  return { ...config, apiUrl: config.apiUrl.replace(/\/+$/, '') };
}
