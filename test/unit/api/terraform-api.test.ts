import { ROUTE_KEYS } from '../../../functions/lib/api/routes';
import { asArray, firstBlock, loadTerraformModule, type TerraformModule } from '../../infra/support/terraform-module';

describe('terraform/api.tf', () => {
  let module: TerraformModule;

  beforeAll(async () => {
    module = await loadTerraformModule();
  });

  it('creates exactly the routes the api function serves', () => {
    expect([...asArray(module.locals.api_route_keys)].sort()).toEqual([...ROUTE_KEYS].sort());
  });

  it('puts every route of the api function behind the Cognito JWT authorizer: none is open to the world', () => {
    // Prepare: other functions (the bot's webhook) may share the HTTP API with their own auth.
    const routes = Object.entries(module.resource.aws_apigatewayv2_route ?? {}).filter(([, [route = {}]]) =>
      String(route.target).includes('aws_apigatewayv2_integration.api_function'),
    );

    // Assess
    expect(routes.length).toBeGreaterThan(0);
    for (const [, [route = {}]] of routes) {
      expect(route).toEqual(
        expect.objectContaining({
          authorization_type: 'JWT',
          authorizer_id: '${aws_apigatewayv2_authorizer.cognito.id}',
        }),
      );
    }
    expect(firstBlock(module.resource.aws_apigatewayv2_authorizer, 'cognito')).toEqual(
      expect.objectContaining({ authorizer_type: 'JWT' }),
    );
  });

  it('sends payload 2.0 events to the api function', () => {
    expect(firstBlock(module.resource.aws_apigatewayv2_integration, 'api_function')).toEqual(
      expect.objectContaining({
        payload_format_version: '2.0',
        integration_uri: '${aws_lambda_function.this["api"].invoke_arn}',
      }),
    );
  });

  it('lets no one sign themselves up', () => {
    const pool = firstBlock(module.resource.aws_cognito_user_pool, 'users');
    expect(asArray(pool?.admin_create_user_config)).toEqual([{ allow_admin_create_user_only: true }]);
  });
});
