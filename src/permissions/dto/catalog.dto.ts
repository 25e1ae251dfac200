import { ApiProperty } from '@nestjs/swagger';
import { PERMISSION_CATEGORIES } from '../catalog';

export class PermissionResponseDto {
  @ApiProperty({ example: 'keys:read' }) name: string;
  @ApiProperty({ enum: PERMISSION_CATEGORIES, description: 'Built-in category, or the resource of a custom permission' }) category: string;
  @ApiProperty() description: string;
  @ApiProperty() builtIn: boolean;
}

export class RoleResponseDto {
  @ApiProperty({ example: 'auditor' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String] }) permissions: string[];
  @ApiProperty() builtIn: boolean;
}

export class PermissionListDto {
  @ApiProperty({ type: [PermissionResponseDto] }) items: PermissionResponseDto[];
}

export class RoleListDto {
  @ApiProperty({ type: [RoleResponseDto] }) items: RoleResponseDto[];
}
