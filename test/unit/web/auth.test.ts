import { cognitoLogoutUrl } from '../../../web/src/auth';

describe('signing out of Cognito', () => {
  it("ends the hosted UI's session and returns to the page", () => {
    // Prepare
    const auth = {
      kind: 'cognito' as const,
      domain: 'https://gorggle-123.auth.eu-west-1.amazoncognito.com',
      clientId: '1example23456789',
      redirectUri: 'https://d111111abcdef8.cloudfront.net/',
    };

    // Act
    const url = new URL(cognitoLogoutUrl(auth));

    // Assess
    expect(url.origin + url.pathname).toBe('https://gorggle-123.auth.eu-west-1.amazoncognito.com/logout');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: '1example23456789',
      logout_uri: 'https://d111111abcdef8.cloudfront.net/',
    });
  });
});
