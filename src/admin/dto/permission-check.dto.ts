import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { IsOptionalNotNull, IsPermissionList } from '../../common/validation/validators';

export class PermissionCheckDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The key to check (or userId)' })
  @IsOptionalNotNull()
  @IsUUID()
  keyId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'The user to check (or keyId)' })
  @IsOptionalNotNull()
  @IsUUID()
  userId?: string;

  @ApiPropertyOptional({ type: [String], example: ['orders:read'], maxItems: 50 })
  @IsOptional()
  @IsPermissionList(50)
  permissions?: string[];

  @ApiPropertyOptional({ example: 'orders:read AND (orders:write OR admin:*)', maxLength: 1000 })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  permissionQuery?: string;
}

export class PermissionGrantDto {
  @ApiProperty({ example: 'keys:*' }) permission: string;
  @ApiProperty({ example: 'role:user', description: '`direct` or `role:<name>`' }) source: string;
}

export class PermissionDecisionDto {
  @ApiProperty() permission: string;
  @ApiProperty() granted: boolean;
  @ApiProperty({ type: [PermissionGrantDto], description: 'The grants that cover it' }) grantedBy: PermissionGrantDto[];
}

export class EffectivePermissionsDto {
  @ApiProperty({ enum: ['user', 'key'] }) type: 'user' | 'key';
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ type: [String], description: 'What the principal may do now' }) permissions: string[];
  @ApiProperty({ type: [PermissionGrantDto], description: 'Every grant and where it comes from' }) grants: PermissionGrantDto[];
  @ApiPropertyOptional({ type: [String], description: "For a key: granted to the key but not held by its owner, so not effective" })
  withheldByOwner?: string[];
}

export class PermissionCheckResponseDto extends EffectivePermissionsDto {
  @ApiProperty({ description: 'Every listed permission and the query (when given) are satisfied' }) granted: boolean;
  @ApiProperty({ type: [PermissionDecisionDto] }) decisions: PermissionDecisionDto[];
  @ApiPropertyOptional({ description: 'Result of permissionQuery' }) queryGranted?: boolean;
}
